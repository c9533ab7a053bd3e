"""查看记录: which staff member saw an applicant's personal information, when, and what.

An applicant should know who looked at their file (个人信息保护法 art. 44–45: the right to know
how one's information is processed; Estonia's data tracker shows citizens each official's
look). Every place in admin and the document views where staff see an applicant's data calls
`record` once:

- a full ID number, shown only after the staff member typed why (the reason is kept);
- a document image or PDF opened, or the thumbnails of one applicant's documents;
- an applicant's account, a registration or a 信息填报 version opened in admin;
- an export (CSV) naming the applicant.

The applicant reads them on 基本信息 (谁查看了我的信息) by staff number and department, never a
private name; superusers read and export the whole trail in admin, where nobody — superusers
included — may add, change or delete an event (accounts.admin.AccessEventAdmin). Events are
kept RETENTION_ACCESS_LOG_DAYS (three years: art. 56 keeps records of processing that long),
then `manage.py purge_expired` removes them.

The same look is one event: the same staff member opening the same thing of the same applicant
again within REPEAT_SECONDS (a reload, the eight thumbnails of one page) is not written again.
A full ID number is written every time, with its reason.
"""

import hashlib
import logging
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.http import HttpRequest

from accounts.models import AccessEvent, User
from rentcenter.ratelimit import client_address

logger = logging.getLogger(__name__)

Action = AccessEvent.Action
REPEAT_SECONDS = 10 * 60
MAX_REASON = 200


def staff_number(staff: User) -> str:
    """The staff member's number, or their account's number until one is set in admin."""
    return staff.staff_number or f"U{staff.pk}"


def _event(request: HttpRequest, *, subject_id: int, action: str, target: str, reason: str):
    staff = request.user
    return AccessEvent(
        subject_id=subject_id,
        staff=staff,
        staff_number=staff_number(staff),
        department=staff.department,
        action=action,
        target=target[:200],
        reason=reason.strip()[:MAX_REASON],
        address=client_address(request),
    )


def _watched(request: HttpRequest, subject_id: int) -> bool:
    """Staff looking at someone else's data; an applicant opening their own is no event."""
    user = request.user
    return user.is_authenticated and user.is_staff and user.pk != subject_id


def record(
    request: HttpRequest, *, subject_id: int, action: str, target: str, reason: str = ""
) -> None:
    """Write that the signed-in staff member saw `target` of the account `subject_id` now."""
    if not _watched(request, subject_id):
        return
    if action != Action.FULL_ID_NUMBER and _seen_lately(
        request.user.pk, subject_id, action, target
    ):
        return
    _event(request, subject_id=subject_id, action=action, target=target, reason=reason).save()


def _seen_lately(staff_id: int, subject_id: int, action: str, target: str) -> bool:
    """Whether this staff member looked at the same thing within REPEAT_SECONDS, by the site's
    clock (kept in the shared cache; its expiry only clears old keys). Of looks at the same
    moment (the thumbnails of one page) `cache.add` lets one through."""
    what = hashlib.sha256(target.encode()).hexdigest()[:16]
    key = f"access:{staff_id}:{subject_id}:{action}:{what}"
    now = time.time()
    if cache.add(key, now, timeout=REPEAT_SECONDS):
        return False
    seen = cache.get(key)
    if seen is not None and now - seen < REPEAT_SECONDS:
        return True
    cache.set(key, now, timeout=REPEAT_SECONDS)
    return False


def record_export(request: HttpRequest, *, subject_ids: Iterable[int], target: str) -> int:
    """An export naming these accounts: one event each; how many."""
    events = [
        _event(request, subject_id=subject_id, action=Action.EXPORT, target=target, reason="")
        for subject_id in dict.fromkeys(subject_ids)
        if _watched(request, subject_id)
    ]
    AccessEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)


def seen_by_staff(user: User):
    """谁查看了我的信息: the events about `user`, newest first."""
    return AccessEvent.objects.filter(subject=user).order_by("-at", "-id")
