"""Retention periods (保存期限): one object per kind of personal data, saying how long it is kept
and doing the deleting.

个人信息保护法 art. 19 and GB/T 35273-2020 §6.1: personal information is kept no longer than its
purpose needs, and the applicant is told for how long (art. 17). So each kind has one Rule: its
period comes from settings, the sentence the 个人信息处理规则 prints is made from that period, and
`manage.py purge_expired` runs the same rule's `expired` and `purge`. The page and the purge
cannot disagree.

The rooms define their rules next to their data (`<app>/personal_data.py`); the privacy room
lists them all (privacy/retention.py). This module imports no app.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet


@dataclass(frozen=True)
class Rule:
    """How long one kind of data is kept, and what happens to it after.

    `expired(now)` is everything past its period at `now` (a QuerySet, or a list for data that
    lives outside the database); `purge(items, now)` deletes or clears them and says how many.
    `sentence` is what the 处理规则 says, with `{days}` standing for the period in days.
    """

    key: str
    label: str  # the kind of data, as the 处理规则 names it
    period: Callable[[], timedelta]  # read from settings each time (tests override them)
    sentence: str
    expired: Callable[[datetime], QuerySet | list]
    purge: Callable[[QuerySet | list, datetime], int]

    @property
    def days(self) -> int:
        return self.period().days

    @property
    def text(self) -> str:
        return self.sentence.format(days=self.days)

    def cutoff(self, now: datetime) -> datetime:
        return now - self.period()

    def count(self, now: datetime) -> int:
        items = self.expired(now)
        return items.count() if isinstance(items, QuerySet) else len(items)

    def apply(self, now: datetime) -> int:
        return self.purge(self.expired(now), now)


def delete_rows(items: QuerySet, now: datetime) -> int:
    """Purge by deleting the rows (what `purge` is for most rules); how many of them."""
    _total, per_model = items.delete()
    return per_model.get(items.model._meta.label, 0)


def days(setting: str) -> Callable[[], timedelta]:
    """A period read from the settings variable `setting`, in days."""

    def period() -> timedelta:
        from django.conf import settings

        return timedelta(days=getattr(settings, setting))

    return period
