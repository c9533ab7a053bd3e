"""Encryption of personal numbers at rest (resident ID numbers of applicants and their families).

A leaked database dump must not leak ID numbers (个人信息保护法 art. 51; OWASP ASVS 5.0 §11):
the value is stored Fernet-encrypted, and uniqueness ("one ID number, one account") is kept by
a keyed HMAC of the number, which reveals nothing without the key and, unlike a plain hash,
cannot be reversed by hashing all 10¹⁸ candidate numbers.

Keys come from settings (ID_NUMBER_KEYS, ID_NUMBER_HMAC_KEY). Encryption keys can be rotated:
put the new key first, keep the old ones after it, run `manage.py reencrypt_id_numbers`, then
drop the old keys. The same keys encrypt the staff's authenticator secrets (issue 18).

Each app that stores values encrypted with them registers a Holder (how to encrypt its rows
again, where to find a few stored ones); this module imports no app. The rotation command runs
every holder, and the key canary (`key_problems`) decrypts a few stored values of each: a key
that was changed, or dropped before the rotation finished, would otherwise show as a 500 on
the first page that reads a number. /readyz (rentcenter.health) and `check --deploy`
(rentcenter.checks, rentcenter.E001) ask the canary; a page that meets a bad key anyway answers
the outage page (rentcenter.outage).
"""

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

logger = logging.getLogger(__name__)


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    # Keyed on the settings value so that tests overriding the keys get their own instance.
    return _fernet(tuple(settings.ID_NUMBER_KEYS))


def encrypt(text: str) -> str:
    """A URL-safe token of `text`, made with the first key."""
    return _current().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The text of a token made with any of the keys; cryptography.fernet.InvalidToken if none
    (a token is ASCII: other text, say from an altered hidden field, is no token either)."""
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidToken from None
    return _current().decrypt(raw).decode()


def reencrypt(token: str) -> str:
    """The same text, encrypted again with the first key (key rotation)."""
    return _current().rotate(token.encode("ascii")).decode("ascii")


def digest(text: str) -> str:
    """Keyed HMAC-SHA256 of `text` in hex: equal texts give equal digests, for unique lookups."""
    key = settings.ID_NUMBER_HMAC_KEY.encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


# Where values encrypted with these keys are kept ------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Values of one kind encrypted with these keys (told by the app that stores them).

    reencrypt() encrypts every one again with the first key (and computes digests again with
    the HMAC key), returning how many; samples() gives a few stored tokens, each with the
    digest of its text when one is kept beside it, for the key canary."""

    name: str
    reencrypt: Callable[[], int]
    samples: Callable[[], Iterable[tuple[str, str | None]]]


_holders: dict[str, Holder] = {}


def register_holder(holder: Holder) -> None:
    _holders[holder.name] = holder


def holders() -> list[Holder]:
    """In the order the apps registered them (the room order: accounts before applications)."""
    return list(_holders.values())


def key_problems() -> list[str]:
    """What the stored samples say about the keys, one sentence per kind: [] when each decrypts
    and its digest, if any, is what ID_NUMBER_HMAC_KEY gives."""
    problems = []
    for holder in holders():
        for token, stored_digest in holder.samples():
            try:
                text = decrypt(token)
            except InvalidToken:
                problems.append(
                    f"ID_NUMBER_KEYS cannot decrypt the stored {holder.name}: the key that "
                    "encrypted them is not in the list (changed, or dropped before "
                    "`manage.py reencrypt_id_numbers` finished)"
                )
                break
            if stored_digest is not None and digest(text) != stored_digest:
                problems.append(
                    f"ID_NUMBER_HMAC_KEY does not give the stored digests of the {holder.name}: "
                    "it is not the key they were made with (one ID number could then verify "
                    "two accounts)"
                )
                break
    return problems


# The canary's last answer in this process, for /readyz (probed every few seconds).
CHECK_SECONDS = 60
_checked: dict[str, tuple[float, list[str]]] = {}  # by the keys it was asked with


def checked_key_problems() -> list[str]:
    """key_problems(), asked at most once per CHECK_SECONDS in this process (for these keys:
    tests that change them get an answer of their own)."""
    now = time.monotonic()
    keys = f"{tuple(settings.ID_NUMBER_KEYS)}|{settings.ID_NUMBER_HMAC_KEY}"
    last = _checked.get(keys)
    if last is None or now - last[0] > CHECK_SECONDS:
        problems = key_problems()
        for problem in problems:
            logger.error("key canary: %s", problem)
        _checked[keys] = last = (now, problems)
    return last[1]


def forget_checked_keys() -> None:
    _checked.clear()
