"""实名认证: proving that an account belongs to the person named on a resident ID card.

The number is first checked here (GB 11643-1999, accounts.idcard), then name and number are
compared by an identity verifier chosen by the IDENTITY_VERIFIER setting; production plugs in
the comparison service the centre contracts for (a class with a `verify` method, named by its
dotted path). One number belongs to one account (PRODUCT.md): a second account is refused and
sent to 客服, who can clear the first one in admin after checking the person.
"""

import logging
import re
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts import consent
from accounts.idcard import parse_id_number
from accounts.models import User
from rentcenter import crypto, ratelimit
from rentcenter.dates import format_when

logger = logging.getLogger(__name__)

# Each comparison asks an outside service about a real person: few per account and day, so
# that the form cannot be used to find out which name goes with a number.
ATTEMPTS_PER_DAY = 5

# Chinese names: Han characters (with the rarer extension blocks) and the middle dot that
# separates the parts of many minority names (阿依古丽·买买提).
NAME_PATTERN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f·]{2,30}")


class IdentityVerifier(Protocol):
    def verify(self, *, name: str, id_number: str) -> bool: ...


class LocalChecksVerifier:
    """Accepts every pair that passed the local checks (development, and until a service is
    contracted)."""

    def verify(self, *, name: str, id_number: str) -> bool:
        return True


class RefusingVerifier:
    """Says no to everyone: a test double for the refusal path."""

    def verify(self, *, name: str, id_number: str) -> bool:
        return False


VERIFIERS = {"local": LocalChecksVerifier, "refuse": RefusingVerifier}


def get_verifier() -> IdentityVerifier:
    name = settings.IDENTITY_VERIFIER
    if name in VERIFIERS:
        return VERIFIERS[name]()
    try:
        return import_string(name)()
    except ImportError as error:
        raise ImproperlyConfigured(f"IDENTITY_VERIFIER {name!r} cannot be imported") from error


class RealNameRefused(Exception):
    """Why a real name was not accepted, in Chinese, and which form field it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def clean_name(name: str) -> str:
    name = re.sub(r"\s+", "", name).replace("•", "·").replace("．", "·")
    if not NAME_PATTERN.fullmatch(name):
        raise ValidationError("请输入与身份证一致的中文姓名。", code="name")
    return name


def duplicate_message() -> str:
    return (
        "该证件号码已在其他账号完成实名认证，一个证件号码只能认证一个账号。"
        f"如有疑问，请联系客服：{settings.SUPPORT_PHONE}。"
    )


def consent_needed_message() -> str:
    return "实名认证需要处理您的身份证号码等敏感个人信息，请先阅读并单独同意。"


def verify_real_name(*, user: User, name: str, id_number: str) -> User:
    """Check name and number, have the verifier compare them, and record them on `user`.

    Nothing is looked at before the account gave the separate consent to its sensitive
    information (accounts/consent.py). Raises ValidationError for a malformed name or number
    and RealNameRefused for the rest.
    """
    if not consent.has_agreed(user, consent.Kind.SENSITIVE):
        raise RealNameRefused(consent_needed_message())
    name = clean_name(name)
    card = parse_id_number(id_number)
    if user.has_real_name:
        raise RealNameRefused("您已完成实名认证。")
    attempt = ratelimit.hit(f"realname:{user.pk}", limit=ATTEMPTS_PER_DAY, window=24 * 60 * 60)
    if not attempt.allowed:
        retry_at = format_when(attempt.retry_at)
        raise RealNameRefused(f"实名认证尝试次数过多，请于 {retry_at} 后再试。")
    taken = User.objects.filter(id_number_digest=crypto.digest(card.number)).exclude(pk=user.pk)
    if taken.exists():
        raise RealNameRefused(duplicate_message(), field="id_number")
    # The comparison service is asked outside the transaction: no row stays locked while
    # waiting for another organisation's server.
    if not get_verifier().verify(name=name, id_number=card.number):
        logger.info("identity verifier refused user %s", user.pk)
        raise RealNameRefused("姓名与证件号码不一致，请核对后重新输入。")
    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if locked.has_real_name:
                raise RealNameRefused("您已完成实名认证。")
            locked.set_real_name(name=name, id_number=card.number, verified_at=timezone.now())
            locked.save(update_fields=REAL_NAME_FIELDS)
    except IntegrityError:
        # Another account took the number between the check above and this write.
        raise RealNameRefused(duplicate_message(), field="id_number") from None
    return locked


def clear_real_name(*, user: User) -> None:
    """撤销实名认证: 客服, having checked the person, frees the number for the right account."""
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=user.pk)
        account.real_name = ""
        account.sex = ""
        account.birth_date = None
        account.id_number_encrypted = ""
        account.id_number_digest = None
        account.real_name_verified_at = None
        account.save(update_fields=REAL_NAME_FIELDS)


REAL_NAME_FIELDS = [
    "real_name",
    "sex",
    "birth_date",
    "id_number_encrypted",
    "id_number_digest",
    "real_name_verified_at",
]
