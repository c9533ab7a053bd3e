"""What the lottery room holds about a person, for the applicant's rights (accounts/
personal_data.py says the four parts).

An entry is published by its pseudonymous code only, and a drawn list cannot change (the
triggers of lottery/models.py): at closure the entry and its 顺序号 stay as they are, valid and
without a name, since the registration behind them no longer names anyone.

Documents stay while their plan's list is frozen but not drawn, and RETENTION_DOCUMENT_DAYS
after the draw (`documents_held`; privacy/retention.py deletes the rest).
"""

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.personal_data import iso
from applications.models import Document
from lottery.models import Draw, Entry


def collect(user: User) -> dict[str, object]:
    entries = (
        Entry.objects.filter(registration__applicant=user)
        .select_related("draw__plan", "registration")
        .order_by("draw__frozen_at", "pk")
    )
    return {
        "摇号": [
            {
                "配租计划": entry.draw.plan.title,
                "登记编号": entry.registration.number,
                "摇号编码": entry.code,
                "分组": entry.group_name,
                "顺序号": entry.position,
                "摇号时间": iso(entry.draw.drawn_at),
            }
            for entry in entries
        ]
    }


def closure_blockers(user: User, *, now: datetime) -> list[str]:
    return []


def erase(user: User, *, now: datetime) -> None:
    """Nothing to erase: the published code and 顺序号 name no one once the account is closed."""


def documents_held(cutoff: datetime) -> QuerySet:
    """Documents of plans whose list is frozen and not drawn, or drawn after `cutoff`."""
    running = Draw.objects.filter(Q(state=Draw.State.FROZEN) | Q(drawn_at__gte=cutoff))
    return Document.objects.filter(application_infos__plan__in=running.values("plan")).values("pk")


RETENTION_RULES: list = []
