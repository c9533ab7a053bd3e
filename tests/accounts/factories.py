"""Builders for account tests (and, re-exported, for other apps' tests)."""

import itertools
from datetime import date

from django.utils import timezone

from accounts.idcard import check_character
from accounts.models import User
from tests.factories import make_user

_sequence = itertools.count(1)


def make_id_number(
    *, area: str = "110105", birth_date: date = date(1990, 5, 17), sequence: int | None = None
) -> str:
    """A valid resident ID number (GB 11643-1999); odd sequence numbers are men's."""
    if sequence is None:
        sequence = next(_sequence) % 1000
    first17 = f"{area}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def make_verified_user(**overrides) -> User:
    """A user whose real name is verified, as if through 立即实名."""
    name = overrides.pop("real_name", "张三")
    id_number = overrides.pop("id_number", None) or make_id_number()
    verified_at = overrides.pop("real_name_verified_at", None) or timezone.now()
    user = make_user(**overrides)
    user.set_real_name(name=name, id_number=id_number, verified_at=verified_at)
    user.save()
    return user
