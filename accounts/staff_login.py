"""Admin password logins under django-axes (settings: STAFF_LOGIN_FAILURE_LIMIT wrong passwords
lock the account, and separately the address, for STAFF_LOGIN_LOCKOUT_MINUTES; OWASP ASVS 5.0
§6.3.1). The functions here are the project's answers to axes' questions: which account a login
names, and what a locked-out person is told.

Every failure is kept in axes' failure log (后台登录失败记录 in admin, with whether it locked) and
in the application log. Staff holding the permission delete a lockout in admin (登录锁定) to
unlock at once; `manage.py axes_reset_username PHONE` does it from the shell.
"""

import logging
import math
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import User
from rentcenter.ratelimit import client_ip

logger = logging.getLogger(__name__)

# AccessAttempt.username is 255 characters long.
MAX_NAME = 255


def login_name(request: HttpRequest, credentials: dict | None) -> str:
    """axes' AXES_USERNAME_CALLABLE: the account a login names (account_name)."""
    typed = (credentials or {}).get("username") or request.POST.get("username") or ""
    return account_name(str(typed))


def account_name(typed: str) -> str:
    """The account a typed phone names, as the login itself finds it: "138 0000 0000",
    "13800000000" and "+86 138-0000-0000" are one phone, so they share one count of failures."""
    typed = typed.strip()
    try:
        number = PhoneNumber.from_string(typed, region="CN")
    except Exception:  # phonenumbers refuses text that is no number at all
        return typed[:MAX_NAME]
    return number.as_e164 if number.is_valid() else typed[:MAX_NAME]


def lockout_ends_at(request: HttpRequest, credentials: dict | None) -> datetime | None:
    """When the login is allowed again: for the account and for the address, the failures that
    still count are the recent ones; the lock lifts when the one that reached the limit ages
    out. None when neither is locked."""
    window = timedelta(minutes=settings.STAFF_LOGIN_LOCKOUT_MINUTES)
    since = timezone.now() - window
    ends = []
    for attempts in (
        AccessAttempt.objects.filter(username=login_name(request, credentials)),
        AccessAttempt.objects.filter(ip_address=client_ip(request)),
    ):
        recent = attempts.filter(attempt_time__gte=since).order_by("-attempt_time")
        counted = 0
        for attempt_time, failures in recent.values_list("attempt_time", "failures_since_start"):
            counted += failures
            if counted >= settings.STAFF_LOGIN_FAILURE_LIMIT:
                ends.append(attempt_time + window)
                break
    return max(ends, default=None)


def lockout_message(request: HttpRequest, credentials: dict | None) -> str:
    ends = lockout_ends_at(request, credentials) or timezone.now() + timedelta(
        minutes=settings.STAFF_LOGIN_LOCKOUT_MINUTES
    )
    minutes = max(1, math.ceil((ends - timezone.now()).total_seconds() / 60))
    # The time rounded up to the minute: at the time named, the login is open.
    ends = timezone.localtime(ends)
    if ends.second or ends.microsecond:
        ends = ends.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return (
        f"密码错误次数过多，该账号或网络地址已暂停登录。请于 {ends:%H:%M}（约 {minutes} 分钟后）"
        "再试；如忘记密码或并非本人操作，请联系系统管理员。"
    )


def log_lockout(request: HttpRequest, credentials: dict | None) -> None:
    # The account's id, never the typed name: a password typed in the wrong box stays out of
    # the log.
    user = User.objects.filter(phone=login_name(request, credentials)).only("pk").first()
    logger.warning(
        "admin login refused by the lockout: user %s, address %s",
        user.pk if user else "(no such account)",
        client_ip(request),
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """axes' AXES_LOCKOUT_CALLABLE. The admin login page already says why and until when
    (accounts.admin_site); any other login that used authenticate() gets the same sentence."""
    if getattr(original_response, "shows_lockout", False):
        return original_response
    return HttpResponse(
        lockout_message(request, credentials),
        status=429,
        content_type="text/plain; charset=utf-8",
    )
