"""A signed-in page without the database: the person, and what their pages show of them, from
the shared cache.

On opening day thousands of signed-in applicants reload the home page. The page itself comes
from the page cache (rentcenter/pagecache.py) and the session from Redis (cached_db), but each
view still asked PostgreSQL for the user (django.contrib.auth's get_user) and for this
applicant's state in every plan (plans_state): two queries, which with their share of
PostgreSQL's own CPU were a third of the view's CPU (README, "A signed-in page without the
database", has the figures). So the user and those states are kept per person, in one entry
read with its version in one round trip to Redis:

    usercache:<id>:version           a random token; a change of the person's data replaces it
    usercache:<id>:<key>             {version, the user's fields, session hash, parts}

An entry is used only if its version is the current token, so a change shows on the very next
page, in every worker: every save or delete of the person's own rows (accounts.User,
their 信息填报, their registrations: `changed`, connected by the apps to those models; bulk
writes call it themselves) replaces the token at once and again after the transaction commits.
At once, so that the writing request and a test inside one transaction see it; after commit,
so that a page read in between, from the rows as they were, cannot stay: it was stored under a
token that is no longer current. A token that is missing (evicted, expired) is made anew; no
token is made twice, so none matches an entry stored under another.

What Django checks stays checked. The entry holds the session hash the user had when it was
stored, and a session whose hash differs goes to Django's own get_user (which flushes it, or
accepts a hash made with SECRET_KEY_FALLBACKS and renews it); the key names a fingerprint of
SECRET_KEY, so a rotated key never reads entries made under the old one. Only sessions made by
ModelBackend use the cache, and only active, open applicant accounts are stored: staff (admin
is not the hot path) and anything else always read the database. A closed account (注销) or
one staff deactivate changes the user row, so its next page reads the database, which signs
it out.

The entry never holds the password hash or the encrypted ID number: the user built from it
has them deferred, so the rare view that needs one (a password change, the full number) loads
it then. What it holds — phone, name, birth date, the ID number's keyed digest, the person's
plan states — is personal data: kept PERSON_CACHE_SECONDS (the session's idle limit), seen by
no one but the server (README, "Data map").

Not free of the database: the once-a-minute write of the session's "last seen" time
(accounts.middleware; cached_db writes through), and a page after a change (one read, then
cached again).
"""

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from accounts.models import User

T = TypeVar("T")

# As long as a session may sit idle (accounts.middleware): an entry outlives no session.
PERSON_CACHE_SECONDS = settings.SESSION_IDLE_TIMEOUT
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# Never in the entry: the user built from it loads them from the database if a view asks.
NOT_KEPT = frozenset({"password", "id_number_encrypted"})


# The entry is plain data (a dict of built-in values, dates and the phone), so that no
# change of a class here can make a stored entry fail to load after a deploy:
#   "version": the token it was read under, "fields": attribute name → value of every
#   concrete field but NOT_KEPT, "session_hash": the user's then, "parts": name → value kept
#   by `remembered`.
Entry = dict[str, Any]


@dataclass
class Person:
    """What a user loaded by this module carries (as `user.person_cache`): the entry to keep
    parts in."""

    key: str
    entry: Entry


def version_key(person_id: int) -> str:
    return f"usercache:{person_id}:version"


def entry_key(person_id: int) -> str:
    return f"usercache:{person_id}:{_key_fingerprint(settings.SECRET_KEY)}"


@functools.lru_cache(maxsize=4)
def _key_fingerprint(secret: str) -> str:
    """Names the secret key and the user's fields: entries made under another key, or by a
    release whose User has other fields, are never read."""
    names = ",".join(f.attname for f in User._meta.concrete_fields)
    return hashlib.sha256(f"accounts.usercache|{names}|{secret}".encode()).hexdigest()[:12]


# Reading -------------------------------------------------------------------------------------


def get_user(request: HttpRequest) -> User | AnonymousUser:
    """request.user: from the person's entry when it is current and the session's hash is
    the one it was stored with, else from the database as Django loads it (and then kept)."""
    session = request.session
    person_id = _person_id(session)
    if person_id is None:
        return auth.get_user(request)
    stored = cache.get_many([version_key(person_id), entry_key(person_id)])
    version = stored.get(version_key(person_id))
    entry: Entry | None = stored.get(entry_key(person_id))
    session_hash = session.get(auth.HASH_SESSION_KEY, "")
    if (
        version
        and entry
        and entry["version"] == version
        and session_hash
        and constant_time_compare(session_hash, entry["session_hash"])
    ):
        return _user(person_id, entry)
    if not version:
        # Before the database is read: a change committed after this read replaces it.
        token = secrets.token_hex(8)
        if cache.add(version_key(person_id), token, PERSON_CACHE_SECONDS):
            version = token
        else:  # another request made one first
            version = cache.get(version_key(person_id))
    user = auth.get_user(request)
    if user.is_authenticated and user.pk == person_id and version and may_keep(user):
        fields = {
            f.attname: getattr(user, f.attname)
            for f in User._meta.concrete_fields
            if f.attname not in NOT_KEPT
        }
        entry = {
            "version": version,
            "fields": fields,
            "session_hash": user.get_session_auth_hash(),
            "parts": {},
        }
        cache.set(entry_key(person_id), entry, PERSON_CACHE_SECONDS)
        user.person_cache = Person(entry_key(person_id), entry)
    return user


def may_keep(user: User) -> bool:
    """Applicants only: staff and superusers read the database on every page, and an inactive
    or closed account is never signed in from the cache."""
    return user.is_active and not user.is_staff and not user.is_superuser and not user.is_closed


def _person_id(session) -> int | None:
    """The signed-in account's id when ModelBackend signed it in, else None."""
    if session.get(auth.BACKEND_SESSION_KEY) != MODEL_BACKEND:
        return None
    if MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        return None
    try:
        return int(session[auth.SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


def _user(person_id: int, entry: Entry) -> User:
    fields = entry["fields"]
    # In the model's order, as from_db expects them; a field the entry lacks is deferred.
    names = [f.attname for f in User._meta.concrete_fields if f.attname in fields]
    user = User.from_db("default", names, [fields[name] for name in names])
    user.person_cache = Person(entry_key(person_id), entry)
    return user


def remembered(user: User, name: str, compute: Callable[[], T]) -> T:
    """A value about `user` that changes only with their own rows (their plan states): from
    their entry when it holds it, else computed and added to it. A user not loaded by
    get_user (staff, a user from a query) has no entry: computed each time."""
    person: Person | None = getattr(user, "person_cache", None)
    if person is None:
        return compute()
    parts = person.entry["parts"]
    if name in parts:
        return parts[name]
    value = compute()
    parts[name] = value
    # Under the version read before the rows were: if they changed since, it is never used.
    cache.set(person.key, person.entry, PERSON_CACHE_SECONDS)
    return value


# Changes -------------------------------------------------------------------------------------


def changed(person_id: int | None) -> None:
    """The person's rows change in the current transaction: their version is replaced now and
    again once the transaction commits (a new token rather than none, so that the next page
    finds a version and reads the database without asking Redis twice)."""
    if person_id is not None:
        people_changed([person_id])


def people_changed(person_ids: Iterable[int]) -> None:
    keys = [version_key(person_id) for person_id in person_ids]
    if not keys:
        return
    if transaction.get_connection().in_atomic_block:
        _replace(keys)
    transaction.on_commit(lambda: _replace(keys))  # at once outside a transaction


def _replace(keys: list[str]) -> None:
    cache.set_many({key: secrets.token_hex(8) for key in keys}, PERSON_CACHE_SECONDS)


def user_saved(sender: type, instance: User, **kwargs: object) -> None:
    """Receiver of accounts.User's post_save and post_delete."""
    changed(instance.pk)


class CachedAuthenticationMiddleware(AuthenticationMiddleware):
    """django.contrib.auth's middleware, with request.user from get_user above (still loaded
    only when something asks for it)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))
