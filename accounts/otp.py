"""SMS verification codes (短信验证码): sending them within limits, and checking them once.

The numbers follow OWASP ASVS 5.0 §6 (out-of-band authenticators) and the defaults of Chinese
SMS providers: 6 digits from `secrets`, stored only as a keyed hash bound to the phone and the
purpose, valid 5 minutes, good for one use, dead after 5 wrong tries. Sending is limited per
phone (by default 1 per 60 s, 5 per hour, 10 per day) and per address (200 per hour: one
address is often a whole office or a carrier's gateway) in the shared cache, so the limits hold
across every worker; settings.SMS_PHONE_LIMITS and SMS_ADDRESS_LIMITS change them. A refused
send says when the next one is possible.

A circuit breaker watches the whole site (SMS pumping: bots texting many numbers from many
addresses, each within its limits): past settings.SMS_SITE_CEILING_PER_MINUTE texts in a minute,
the site is "in a surge" for that minute and the next, every send then needs a captcha image
drawn moments before (no stock of answers solved in advance), and staff see `surge_alert()` on
the dashboards.

The answer to "send a code" never depends on whether the phone has an account (no account
enumeration); the account is looked at only after the code has proved the phone.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import SmsCode, User
from messaging.outbox import Kind, queue_text
from rentcenter import ratelimit
from rentcenter.dates import format_when

logger = logging.getLogger(__name__)

Purpose = SmsCode.Purpose

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_WRONG_ATTEMPTS = 5
RESEND_SECONDS = 60
SITE_COUNT_KEY = "sms:site:{minute}"
SURGE_KEY = "sms:surge"
# How long staff keep seeing the alert after the last minute over the ceiling.
SURGE_ALERT_SECONDS = 60 * 60

TEXTS = {
    Purpose.LOGIN: "您的验证码为{code}，5分钟内有效，用于登录或注册保障性租赁住房专项配租平台。"
    "请勿告诉他人。如非本人操作，请忽略本短信。",
    Purpose.CHANGE_PHONE: "您正在将此号码绑定到保障性租赁住房专项配租平台账号，验证码为{code}，"
    "5分钟内有效。请勿告诉他人。如非本人操作，请忽略本短信。",
    Purpose.CONFIRM_PHONE: "您正在更改保障性租赁住房专项配租平台账号绑定的手机号码，"
    "验证码为{code}，5分钟内有效。请勿告诉他人。如非本人操作，请忽略本短信。",
    Purpose.STAFF_ENROL: "您正在设置保障性租赁住房专项配租平台管理后台的双重验证，验证码为{code}，"
    "5分钟内有效。请勿告诉他人。如非本人操作，说明您的密码可能已泄露，请立即联系系统管理员。",
    Purpose.EXPORT_DATA: "您正在申请下载保障性租赁住房专项配租平台保存的您的个人信息，"
    "验证码为{code}，5分钟内有效。请勿告诉他人。如非本人操作，请立即联系客服。",
    Purpose.CLOSE_ACCOUNT: "您正在注销保障性租赁住房专项配租平台账号，验证码为{code}，"
    "5分钟内有效。注销后无法恢复。请勿告诉他人。如非本人操作，请立即联系客服。",
}


class SendRefused(Exception):
    """Too many codes asked for; `retry_at` is when the next send will be allowed."""

    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at
        super().__init__(retry_message(retry_at))


def retry_message(retry_at: datetime) -> str:
    seconds = max(1, round((retry_at - timezone.now()).total_seconds()))
    if seconds <= 120:
        return f"发送过于频繁，请{seconds}秒后再试。"
    local = timezone.localtime(retry_at)
    if local.date() == timezone.localdate():
        return f"发送次数已达上限，请于{local:%H:%M}后再试。"
    return f"发送次数已达上限，请于 {format_when(local)} 后再试。"


def _hash(*, phone: PhoneNumber, purpose: str, code: str) -> str:
    value = f"{phone.as_e164}|{purpose}|{code}"
    return salted_hmac("accounts.otp", value, algorithm="sha256").hexdigest()


def _check_send_limits(*, phone: PhoneNumber, address: str) -> None:
    rules = [
        (f"sms:phone:{phone.as_e164}", limit, window) for limit, window in settings.SMS_PHONE_LIMITS
    ]
    rules += [
        (f"sms:address:{address}", limit, window) for limit, window in settings.SMS_ADDRESS_LIMITS
    ]
    result = ratelimit.hit_all(rules)
    if not result.allowed:
        raise SendRefused(result.retry_at)


@dataclass(frozen=True)
class SurgeAlert:
    since: datetime  # the first minute over the ceiling
    last: datetime  # the latest one
    ceiling: int
    active: bool  # the breaker is on now


def _count_site_send() -> None:
    """One more text this minute, site-wide; the minute that crosses the ceiling is recorded."""
    minute = int(time.time() // 60)
    key = SITE_COUNT_KEY.format(minute=minute)
    cache.add(key, 0, timeout=3 * 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=3 * 60)
        count = 1
    if count == settings.SMS_SITE_CEILING_PER_MINUTE + 1:
        earlier = cache.get(SURGE_KEY)
        since = earlier["since"] if earlier else minute
        cache.set(SURGE_KEY, {"since": since, "last": minute}, timeout=SURGE_ALERT_SECONDS)
        logger.warning(
            "SMS surge: more than %d texts in the minute %s (possible SMS pumping); sends now "
            "need a fresh captcha",
            settings.SMS_SITE_CEILING_PER_MINUTE,
            datetime.fromtimestamp(minute * 60, tz=UTC).isoformat(),
        )


def in_surge() -> bool:
    """Whether the site sent more texts than the ceiling in this minute or the one before."""
    minute = int(time.time() // 60)
    keys = [SITE_COUNT_KEY.format(minute=m) for m in (minute, minute - 1)]
    counts = cache.get_many(keys).values()
    return any(int(count) > settings.SMS_SITE_CEILING_PER_MINUTE for count in counts)


def surge_alert() -> SurgeAlert | None:
    """What staff are told about the last surge, for an hour after it."""
    record = cache.get(SURGE_KEY)
    # The cache forgets the record after the hour too; the check here keeps to the site's clock.
    if record is None or time.time() - record["last"] * 60 > SURGE_ALERT_SECONDS:
        return None
    return SurgeAlert(
        since=datetime.fromtimestamp(record["since"] * 60, tz=UTC),
        last=datetime.fromtimestamp(record["last"] * 60, tz=UTC),
        ceiling=settings.SMS_SITE_CEILING_PER_MINUTE,
        active=in_surge(),
    )


def captcha_max_age() -> int | None:
    """How old a captcha image may be for a send now: any age within its 10 minutes, or only
    seconds old while the site is in a surge."""
    return settings.SMS_SURGE_CAPTCHA_SECONDS if in_surge() else None


def send_code(*, phone: PhoneNumber, purpose: str, address: str, user: User | None = None) -> None:
    """Text a new code to `phone` for `purpose`, or raise SendRefused. The caller has checked
    the image captcha. A new code replaces the earlier ones for the same phone and purpose."""
    _check_send_limits(phone=phone, address=address)
    _count_site_send()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    with transaction.atomic():
        SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            user=user,
            code_hash=_hash(phone=phone, purpose=purpose, code=code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        # Sent on the outbox's high-priority queue once the code is stored.
        queue_text(phone=phone.as_e164, text=TEXTS[purpose].format(code=code), kind=Kind.CODE)


def verify_code(*, phone: PhoneNumber, purpose: str, code: str, user: User | None = None) -> bool:
    """Whether `code` is the latest live code for this phone and purpose (and account, for a
    change of phone). True at most once per code, even for simultaneous requests: the code is
    spent by one UPDATE … WHERE used_at IS NULL, which only one of them can win."""
    now = timezone.now()
    latest = (
        SmsCode.objects.filter(phone=phone, purpose=purpose, user=user)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        return False
    live = SmsCode.objects.filter(
        pk=latest.pk,
        used_at__isnull=True,
        expires_at__gt=now,
        wrong_attempts__lt=MAX_WRONG_ATTEMPTS,
    )
    expected = _hash(phone=phone, purpose=purpose, code=code.strip())
    if not constant_time_compare(latest.code_hash, expected):
        live.update(wrong_attempts=F("wrong_attempts") + 1)
        return False
    return live.update(used_at=now) == 1
