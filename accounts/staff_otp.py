"""The staff's second factor (OWASP ASVS 5.0 §6.5): after the password, a 6-digit code from an
authenticator app (TOTP, RFC 6238: HMAC-SHA1 of the 30-second step, one step of drift allowed)
or one of 10 single-use backup codes, kept by django-otp.

Enrolment first asks for a code texted to the account's phone (issue 17, finding 4: whoever
knew a new staff member's password first enrolled their own authenticator; the password's
guesser does not hold the phone, and accounts are phones). Only then does it show a new secret
as a QR code and as text, and it stores nothing until the staff member types a first code it
gives: a secret that never made it into an app is never a device. The secret is stored
encrypted with the site's keys (accounts.models.StaffTOTPDevice). The staff member is texted
whenever an app is enrolled or reset, so that one they did not make is noticed. A lost
phone is reset with `manage.py reset_staff_otp PHONE` (the next login enrols again). Wrong codes
slow down exponentially per device (django-otp's throttling: 1, 2, 4, 8 … seconds).
"""

import io
import logging
import os
import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass
from datetime import datetime

import segno
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from accounts.models import StaffTOTPDevice, User
from messaging.outbox import Kind, queue_text
from rentcenter.dates import format_when

logger = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "身份验证器"
BACKUP_DEVICE_NAME = "备用验证码"


# How long the phone's proof opens enrolment.
PHONE_PROOF_SECONDS = 10 * 60
ENROLLED_TEXT = (
    "您的保障性租赁住房专项配租平台管理后台账号于{when}设置了新的身份验证器。"
    "如非本人操作，请立即联系系统管理员。"
)
RESET_TEXT = (
    "您的保障性租赁住房专项配租平台管理后台账号的身份验证器和备用验证码已被重置（{when}），"
    "下次登录时需重新设置。如非本人申请，请立即联系系统管理员。"
)


def send_enrolment_code(*, user: User, address: str) -> None:
    """Text a code to the account's own phone (otp.SendRefused past the per-phone limits)."""
    otp.send_code(phone=user.phone, purpose=otp.Purpose.STAFF_ENROL, address=address, user=user)


def enrolment_code_matches(*, user: User, code: str) -> bool:
    purpose = otp.Purpose.STAFF_ENROL
    return otp.verify_code(phone=user.phone, purpose=purpose, code=code.strip(), user=user)


def _tell(user: User, template: str) -> None:
    """A text to the staff member's phone, in the caller's transaction (the outbox)."""
    text = template.format(when=format_when(timezone.now()))
    queue_text(phone=user.phone.as_e164, text=text, kind=Kind.OTHER, reference=f"staff:{user.pk}")


class AlreadyEnrolled(Exception):
    """The account got a device in the meantime (another tab, another login)."""


def is_verified(user: AbstractBaseUser) -> bool:
    """Whether this request's user typed a code this session (set by OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def has_device(user: User) -> bool:
    return StaffTOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def new_key() -> str:
    """A 160-bit secret, as django-otp stores it (hex), the size RFC 4226 recommends."""
    return os.urandom(20).hex()


def readable_key(key: str) -> str:
    """The secret as authenticator apps take it by hand: base32, in groups of four."""
    text = b32encode(unhexlify(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def config_url(user: User, key: str) -> str:
    """The otpauth:// address a QR code gives an authenticator app (django-otp writes it; the
    device here is never saved)."""
    return TOTPDevice(user=user, key=key).config_url


def qr_svg(url: str) -> str:
    """The QR code as inline SVG, drawn here: the secret never goes to a QR service."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def code_matches(key: str, token: str) -> TOTP | None:
    """The TOTP state that accepted a code right for `key` now (one 30-second step either side
    forgiven, for a phone's clock), else None."""
    token = normalise(token)
    if not (token.isdigit() and len(token) == 6):
        return None
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time()
    return totp if totp.verify(int(token), tolerance=1) else None


def enrol(*, user: User, key: str, token: str) -> list[str] | None:
    """Make `key` the account's authenticator if `token` is a code it gives now; the backup
    codes to show once, or None for a wrong code."""
    totp = code_matches(key, token)
    if totp is None:
        return None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if has_device(user):
            raise AlreadyEnrolled
        StaffTOTPDevice.objects.filter(user=user).delete()  # unconfirmed leftovers
        # last_t: the code just typed cannot be typed again to pass the login that follows.
        StaffTOTPDevice.objects.create(
            user=user,
            name=TOTP_DEVICE_NAME,
            key=key,
            confirmed=True,
            drift=totp.drift,
            last_t=totp.t(),
        )
        codes = replace_backup_codes(user=user)
        _tell(user, ENROLLED_TEXT)
    logger.info("staff user %s enrolled an authenticator app", user.pk)
    return codes


def replace_backup_codes(*, user: User) -> list[str]:
    """Ten new single-use codes; the old ones stop working."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@dataclass(frozen=True)
class Verification:
    device: Device | None
    locked_until: datetime | None = None  # set when every device refused to try yet


def normalise(token: str) -> str:
    """Codes are typed with spaces or dashes ("123 456", "abcd-efgh") and in either case."""
    return "".join(token.split()).replace("-", "").lower()


def verify(*, user: User, token: str) -> Verification:
    """The device that accepts `token`: six digits are an app's code, anything else a backup
    code. Rows are locked so that one code cannot pass twice in parallel requests."""
    token = normalise(token)
    model = StaffTOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    locked_until = []
    with transaction.atomic():
        devices = model.objects.devices_for_user(user, confirmed=True).select_for_update()
        for device in devices:
            allowed, details = device.verify_is_allowed()
            if not allowed:
                locked_until.append(details["locked_until"])
                continue
            if device.verify_token(token):
                return Verification(device=device)
    return Verification(device=None, locked_until=max(locked_until, default=None))


def reset(*, user: User) -> int:
    """Forget the account's authenticator and backup codes (a lost phone); the next login
    enrols a new one. Sessions verified with the old device lose that verification."""
    with transaction.atomic():
        removed = StaffTOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        if removed:
            _tell(user, RESET_TEXT)
    return removed
