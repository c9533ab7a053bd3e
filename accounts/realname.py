"""实名认证: proving that an account belongs to the person named on a resident ID card.

The number is first checked here (GB 11643-1999, accounts.idcard), then name and number are
compared by an identity verifier chosen by the IDENTITY_VERIFIER setting, which production must
name (settings refuse to start without it; issue 17, finding 3):

- `http`: the operator's identity-check service (公安部 comparison as the operator provides it),
  asked by HttpIdentityVerifier below with a timeout, retries and a circuit breaker;
- `local`: the GB 11643 checks only, names compared with nothing: chosen on purpose where no
  service is contracted yet, and `check --deploy` says what it means (rentcenter.W001);
- `refuse` (a test double, DEBUG only), or the dotted path of another verifier class.

When the service cannot answer, the applicant is told so in Chinese, keeps what they typed and
keeps the attempt (VerifierUnavailable). One number belongs to one account (PRODUCT.md): a
second account is refused and sent to 客服, who can clear the first one in admin after
checking the person.
"""

import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
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


class VerifierUnavailable(Exception):
    """The comparison service did not give an answer (down, slow, garbled, or the breaker is
    open): nothing is known about the name and number."""


# The http verifier: how long and how often it asks, and when it stops asking for a while.
# Retries are for a blip (a dropped connection, one 503); RETRIES + 1 attempts of at most
# IDENTITY_SERVICE_TIMEOUT seconds each keep the applicant's wait under gunicorn's 30 s.
RETRIES = 2
RETRY_BACKOFF_SECONDS = 0.3
# After BREAKER_FAILURES calls in a row that got no answer (each after its retries), within
# BREAKER_WINDOW_SECONDS, nobody is asked for BREAKER_OPEN_SECONDS: applicants are told at
# once instead of waiting for timeouts, and a struggling service is not hammered. Then one
# request probes; its answer closes the breaker, its failure opens it again. The state is in
# the shared cache, so every worker sees the same breaker.
BREAKER_FAILURES = 5
BREAKER_WINDOW_SECONDS = 60
BREAKER_OPEN_SECONDS = 30
BREAKER_FAILURES_KEY = "realname:breaker:failures"
BREAKER_OPEN_KEY = "realname:breaker:open_until"
BREAKER_PROBE_KEY = "realname:breaker:probe"


class HttpIdentityVerifier:
    """POST {"name": …, "id_number": …} as JSON to IDENTITY_SERVICE_URL with
    `Authorization: Bearer <IDENTITY_SERVICE_KEY>`; a 2xx answer {"match": true|false} is the
    verdict. A timeout, a lost connection, a 5xx or 429, or an answer without a verdict is
    tried again RETRIES times; another 4xx (a wrong key, a bad request) is not. Either way,
    no verdict is VerifierUnavailable, never a refusal the applicant would take for a wrong
    name."""

    def verify(self, *, name: str, id_number: str) -> bool:
        if _breaker_open():
            raise VerifierUnavailable("the circuit breaker is open")
        for attempt in range(RETRIES + 1):
            if attempt:
                time.sleep(RETRY_BACKOFF_SECONDS * attempt)
            try:
                verdict = self._ask(name=name, id_number=id_number)
            except _Retry as error:
                logger.warning("identity service, attempt %d: %s", attempt + 1, error)
                continue
            except VerifierUnavailable as error:
                logger.error("identity service refused the request: %s", error)
                break
            _breaker_success()
            return verdict
        _breaker_failure()
        raise VerifierUnavailable("no answer from the identity service")

    def _ask(self, *, name: str, id_number: str) -> bool:
        body = json.dumps({"name": name, "id_number": id_number}, ensure_ascii=False)
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
            settings.IDENTITY_SERVICE_URL,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {settings.IDENTITY_SERVICE_KEY}",
            },
        )
        timeout = settings.IDENTITY_SERVICE_TIMEOUT
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                answer = response.read(4096)
        except urllib.error.HTTPError as error:
            if error.code >= 500 or error.code == 429:
                raise _Retry(f"answered {error.code}") from error
            raise VerifierUnavailable(f"answered {error.code}") from error
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            # OSError covers TimeoutError and a connection reset mid-answer.
            raise _Retry(f"unreachable: {error}") from error
        try:
            verdict = json.loads(answer)["match"]
        except (ValueError, KeyError, TypeError):
            raise _Retry("an answer without a verdict") from None
        if not isinstance(verdict, bool):
            raise _Retry("an answer without a verdict")
        return verdict


class _Retry(Exception):
    """No verdict this time; another attempt may get one."""


def _breaker_open() -> bool:
    """Whether to ask nobody now. Past the open period, one caller (the one whose cache.add
    wins) is let through to probe; the others wait for its answer."""
    open_until = cache.get(BREAKER_OPEN_KEY)
    if open_until is None:
        return False
    if time.time() < open_until:
        return True
    return not cache.add(BREAKER_PROBE_KEY, 1, timeout=BREAKER_OPEN_SECONDS)


def _breaker_success() -> None:
    cache.delete_many([BREAKER_FAILURES_KEY, BREAKER_OPEN_KEY, BREAKER_PROBE_KEY])


def _breaker_failure() -> None:
    cache.add(BREAKER_FAILURES_KEY, 0, timeout=BREAKER_WINDOW_SECONDS)
    try:
        failures = cache.incr(BREAKER_FAILURES_KEY)
    except ValueError:  # evicted between add and incr
        cache.set(BREAKER_FAILURES_KEY, 1, timeout=BREAKER_WINDOW_SECONDS)
        failures = 1
    if failures >= BREAKER_FAILURES or cache.get(BREAKER_OPEN_KEY) is not None:
        # Opened, or a probe failed: nobody is asked for another open period.
        cache.set(BREAKER_OPEN_KEY, time.time() + BREAKER_OPEN_SECONDS, timeout=None)
        cache.delete(BREAKER_PROBE_KEY)
        logger.warning("identity service: circuit breaker open for %d s", BREAKER_OPEN_SECONDS)


VERIFIERS = {"local": LocalChecksVerifier, "refuse": RefusingVerifier, "http": HttpIdentityVerifier}


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


def unavailable_message() -> str:
    return (
        "实名认证服务暂时无法使用，请稍后再试。您填写的姓名和证件号码已保留，"
        f"如长时间无法认证，请联系客服：{settings.SUPPORT_PHONE}。"
    )


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
    try:
        match = get_verifier().verify(name=name, id_number=card.number)
    except VerifierUnavailable:
        ratelimit.take_back(attempt)  # no comparison was made: the attempt is not spent
        raise RealNameRefused(unavailable_message()) from None
    if not match:
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
