"""Encryption of personal numbers at rest (resident ID numbers of applicants and their families).

A leaked database dump must not leak ID numbers (个人信息保护法 art. 51; OWASP ASVS 5.0 §11):
the value is stored Fernet-encrypted, and uniqueness ("one ID number, one account") is kept by
a keyed HMAC of the number, which reveals nothing without the key and, unlike a plain hash,
cannot be reversed by hashing all 10¹⁸ candidate numbers.

Keys come from settings (ID_NUMBER_KEYS, ID_NUMBER_HMAC_KEY). Encryption keys can be rotated:
put the new key first, keep the old ones after it, run `manage.py reencrypt_id_numbers`, then
drop the old keys.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


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
