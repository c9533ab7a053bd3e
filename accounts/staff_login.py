"""Admin password logins under django-axes (OWASP ASVS 5.0 §6.3.1; issue 17, finding 6). The
rules, each counted over the last STAFF_LOGIN_LOCKOUT_MINUTES:

- STAFF_LOGIN_FAILURE_LIMIT (5) wrong passwords for one account from one address lock that
  account from that address: the guesser is stopped, the staff member elsewhere is not;
- STAFF_LOGIN_CEILING (20) wrong passwords for one account from any addresses lock the account
  from everywhere, and as many from one address lock that address for every account (a guesser
  with many addresses, or one address trying many accounts), except for a browser that passed
  this account's second factor before (a known device): anyone can make an account meet the
  ceiling, only its owner holds such a browser;
- a lock lifts when enough of the failures that made it are older than the window; tries
  during a lock are refused without looking at the password and do not prolong it.

A known device is a signed cookie (KNOWN_DEVICE_COOKIE, KNOWN_DEVICE_DAYS) naming the account and
its authenticator app, set when the second factor passes; resetting the app voids it. It lets
nobody skip the password or the code: it only keeps the ceilings from applying to its owner.

The functions here are the project's answers to axes' questions (which account a login names,
whether it is locked, what a locked-out person is told), through StaffLoginHandler, the axes
handler of settings. Every failure is kept in axes' failure log (后台登录失败记录 in admin,
with whether it locked) and in the application log; the lockout list (后台登录锁定) says of
each row what is locked and until when. `manage.py axes_reset_username PHONE` unlocks from the
shell.
"""

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import StaffTOTPDevice, User
from rentcenter.ratelimit import client_ip

logger = logging.getLogger(__name__)

# AccessAttempt.username is 255 characters long.
MAX_NAME = 255

KNOWN_DEVICE_COOKIE = "staff_device"
KNOWN_DEVICE_DAYS = 90
KNOWN_DEVICE_SALT = "accounts.staff_login.known_device"


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


# Known devices --------------------------------------------------------------------------------


def remember_device(response: HttpResponse, device: StaffTOTPDevice) -> None:
    """Make the browser a known device of the device's account (after its second factor)."""
    value = signing.dumps([device.user_id, device.pk], salt=KNOWN_DEVICE_SALT, compress=True)
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        value,
        max_age=KNOWN_DEVICE_DAYS * 24 * 60 * 60,
        path="/admin/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def read_known_device(value: str) -> tuple[int, int] | None:
    """(user id, device id) of a genuine cookie younger than KNOWN_DEVICE_DAYS, else None."""
    try:
        user_id, device_id = signing.loads(
            value, salt=KNOWN_DEVICE_SALT, max_age=timedelta(days=KNOWN_DEVICE_DAYS)
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return user_id, device_id


def is_known_device(request: HttpRequest, username: str) -> bool:
    """Whether this browser passed the second factor of the account `username` names, with the
    authenticator app the account still has."""
    known = read_known_device(request.COOKIES.get(KNOWN_DEVICE_COOKIE, ""))
    if known is None:
        return False
    user_id, device_id = known
    return StaffTOTPDevice.objects.filter(
        pk=device_id, user_id=user_id, user__phone=username, confirmed=True
    ).exists()


# Lockouts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    scope: str  # "pair" (this account from this address), "account" or "address"
    ends_at: datetime


# (username, address, time of the row's last failure, failures in the row), as axes keeps them:
# one row per account, address and browser.
Attempt = tuple[str, str, datetime, int]


def recent_attempts(q: Q | None = None) -> list[Attempt]:
    """The rows whose last failure is within the window (those axes still counts)."""
    since = timezone.now() - timedelta(minutes=settings.STAFF_LOGIN_LOCKOUT_MINUTES)
    rows = AccessAttempt.objects.filter(attempt_time__gte=since)
    if q is not None:
        rows = rows.filter(q)
    return list(rows.values_list("username", "ip_address", "attempt_time", "failures_since_start"))


def _lock_ends(rows: Iterable[Attempt], limit: int) -> datetime | None:
    """When rows that reach `limit` stop reaching it: a row leaves the count a window after its
    last failure, the newest last."""
    window = timedelta(minutes=settings.STAFF_LOGIN_LOCKOUT_MINUTES)
    counted = 0
    for _, _, attempt_time, failures in sorted(rows, key=lambda row: row[2], reverse=True):
        counted += failures
        if counted >= limit:
            return attempt_time + window
    return None


def lockout_of(
    username: str, address: str, rows: list[Attempt], *, known_device: bool = False
) -> Lockout | None:
    """The lock on `username` from `address` that ends last, if any (the rules above)."""
    scopes = [
        ("pair", [r for r in rows if r[0] == username and r[1] == address], "limit"),
    ]
    if not known_device:
        scopes += [
            ("account", [r for r in rows if r[0] == username], "ceiling"),
            ("address", [r for r in rows if r[1] == address], "ceiling"),
        ]
    limits = {
        "limit": settings.STAFF_LOGIN_FAILURE_LIMIT,
        "ceiling": settings.STAFF_LOGIN_CEILING,
    }
    found = [
        Lockout(scope, ends)
        for scope, scope_rows, limit in scopes
        if (ends := _lock_ends(scope_rows, limits[limit])) and ends > timezone.now()
    ]
    return max(found, key=lambda lock: lock.ends_at, default=None)


def request_lockout(request: HttpRequest, credentials: dict | None) -> Lockout | None:
    username, address = login_name(request, credentials), client_ip(request)
    rows = recent_attempts(Q(username=username) | Q(ip_address=address))
    known = is_known_device(request, username)
    return lockout_of(username, address, rows, known_device=known)


class StaffLoginHandler(AxesDatabaseHandler):
    """axes' database handler, with the rules above for "is this login locked?". axes locks
    when get_failures() reaches AXES_FAILURE_LIMIT: a locked login answers the limit, another
    the failures of its account from its address."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        if request_lockout(request, credentials) is not None:
            return settings.STAFF_LOGIN_FAILURE_LIMIT
        username, address = login_name(request, credentials), client_ip(request)
        rows = recent_attempts(Q(username=username, ip_address=address))
        return min(sum(row[3] for row in rows), settings.STAFF_LOGIN_FAILURE_LIMIT - 1)


def lockout_ends_at(request: HttpRequest, credentials: dict | None) -> datetime | None:
    """When the login is allowed again; None when it is not locked."""
    lock = request_lockout(request, credentials)
    return lock.ends_at if lock else None


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
