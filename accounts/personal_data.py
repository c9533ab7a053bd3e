"""What the accounts room holds about a person, for the applicant's rights (privacy/).

Every room that keeps personal data has a module of this name with the same four parts, which
the privacy room calls through privacy/rooms.py:

- `collect(user)`: the person's data, as plain JSON-able values with Chinese keys (我的个人信息);
- `closure_blockers(user, now=…)`: why the account cannot be closed now, in Chinese (注销账号);
- `erase(user, now=…)`: erase or anonymise the person's data at closure, keeping what must be
  kept, inside the closing transaction;
- `RETENTION_RULES`: how long each kind is kept (rentcenter/retention.py).
"""

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import access_log
from accounts.models import AccessEvent, Consent, SmsCode, User
from accounts.realname import REAL_NAME_FIELDS
from rentcenter.retention import Rule, days, delete_rows


def iso(moment: datetime | None) -> str | None:
    """Beijing time with its offset, as the export writes every instant."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def collect(user: User) -> dict[str, object]:
    codes = SmsCode.objects.filter(user=user) | SmsCode.objects.filter(phone=user.phone)
    since = user.phone_since or user.date_joined
    return {
        "账号": {
            "手机号": user.phone.as_e164 if user.phone else None,
            "注册时间": iso(user.date_joined),
            "最近登录时间": iso(user.last_login),
        },
        "实名认证": {
            "真实姓名": user.real_name,
            "证件号码": user.id_number,
            "性别": user.get_sex_display(),
            "出生日期": user.birth_date.isoformat() if user.birth_date else None,
            "认证时间": iso(user.real_name_verified_at),
        },
        "短信验证码记录": [
            {
                "用途": code.get_purpose_display(),
                "发送时间": iso(code.created_at),
                "使用时间": iso(code.used_at),
                "说明": "验证码本身只以不可逆的摘要保存，无法导出。",
            }
            for code in codes.filter(created_at__gte=since - timedelta(minutes=10)).order_by(
                "created_at", "id"
            )
        ],
        "同意记录": [
            {
                "同意事项": consent.get_kind_display(),
                "规则版本": consent.version,
                "同意时间": iso(consent.given_at),
                "IP地址": consent.address,
            }
            for consent in user.consents.order_by("given_at", "id")
        ],
        "查看记录": [
            {
                "时间": iso(event.at),
                "工作人员": event.who,
                "操作": event.get_action_display(),
                "查看内容": event.target,
                "查看原因": event.reason,
            }
            for event in access_log.seen_by_staff(user)
        ],
    }


def closure_blockers(user: User, *, now: datetime) -> list[str]:
    if user.is_staff:
        return ["工作人员账号不能在此注销，请联系系统管理员办理。"]
    return []


def erase(user: User, *, now: datetime) -> None:
    """The account keeps its row (decisions and lottery entries point at it) but not the
    person: no phone (free to sign up again), no name, no ID number (it can verify again on
    another account), no password, never active again."""
    SmsCode.objects.filter(user=user).delete()
    if user.phone:
        SmsCode.objects.filter(phone=user.phone).delete()
    account = User.objects.select_for_update().get(pk=user.pk)
    account.phone = None
    account.phone_since = None
    account.real_name = ""
    account.sex = ""
    account.birth_date = None
    account.id_number_encrypted = ""
    account.id_number_digest = None
    account.real_name_verified_at = None
    account.is_active = False
    account.closed_at = now
    account.set_unusable_password()
    account.save(
        update_fields=[
            *REAL_NAME_FIELDS,
            "phone",
            "phone_since",
            "is_active",
            "closed_at",
            "password",
        ]
    )


# Retention -------------------------------------------------------------------------------------


def _expired_codes(now: datetime):
    return SmsCode.objects.filter(expires_at__lt=now - timedelta(days=1))


def _expired_sessions(now: datetime):
    return Session.objects.filter(expire_date__lt=now)


def _old(model, field: str, setting: str):
    def expired(now: datetime):
        cutoff = now - days(setting)()
        return model.objects.filter(**{f"{field}__lt": cutoff})

    return expired


def _consents_of_closed_accounts(now: datetime):
    cutoff = now - days("RETENTION_CONSENT_DAYS")()
    return Consent.objects.filter(user__closed_at__lt=cutoff)


RETENTION_RULES = [
    Rule(
        key="sms_codes",
        label="短信验证码",
        period=lambda: timedelta(days=1),
        sentence="验证码只保存不可逆的摘要，5分钟内有效，失效{days}天后删除。",
        expired=_expired_codes,
        purge=delete_rows,
    ),
    Rule(
        key="sessions",
        label="登录状态",
        period=lambda: timedelta(seconds=settings.SESSION_ABSOLUTE_TIMEOUT),
        sentence="登录后30分钟无操作或满12小时即失效，失效后删除。",
        expired=_expired_sessions,
        purge=delete_rows,
    ),
    Rule(
        key="staff_login_failures",
        label="管理后台登录失败记录（安全日志）",
        period=days("RETENTION_SECURITY_LOG_DAYS"),
        sentence="按《网络安全法》要求保存{days}天后删除。",
        expired=_old(AccessFailureLog, "attempt_time", "RETENTION_SECURITY_LOG_DAYS"),
        purge=delete_rows,
    ),
    Rule(
        key="staff_login_lockouts",
        label="管理后台登录锁定记录（安全日志）",
        period=days("RETENTION_SECURITY_LOG_DAYS"),
        sentence="按《网络安全法》要求保存{days}天后删除。",
        expired=_old(AccessAttempt, "attempt_time", "RETENTION_SECURITY_LOG_DAYS"),
        purge=delete_rows,
    ),
    Rule(
        key="access_events",
        label="工作人员查看记录",
        period=days("RETENTION_ACCESS_LOG_DAYS"),
        sentence="按《个人信息保护法》第五十六条保存{days}天（三年）后删除。",
        expired=_old(AccessEvent, "at", "RETENTION_ACCESS_LOG_DAYS"),
        purge=delete_rows,
    ),
    Rule(
        key="admin_history",
        label="管理后台操作历史",
        period=days("RETENTION_ACCESS_LOG_DAYS"),
        sentence="保存{days}天（三年）后删除。",
        expired=_old(LogEntry, "action_time", "RETENTION_ACCESS_LOG_DAYS"),
        purge=delete_rows,
    ),
    Rule(
        key="consents_of_closed_accounts",
        label="已注销账号的同意记录",
        period=days("RETENTION_CONSENT_DAYS"),
        sentence="作为同意的凭证，账号注销后保存{days}天后删除。",
        expired=_consents_of_closed_accounts,
        purge=delete_rows,
    ),
]
