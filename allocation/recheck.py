"""资格复核: after the draw, reviewers re-check the first entrants of a group, in 顺序号 order.

Staff call the next N entrants of a group (N of their choosing; the admin page suggests the
group's homes × 1.2, less those already called and not failed), each texted through the outbox.
The others are 候补: they are called, in order, when homes remain. A reviewer checks each
document (核验通过 / 不符, as in the registration's review) and passes or fails the entrant with
a reason; each step is an event with who and when, and the text is written with the decision.
"""

import math
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from allocation.models import AllocationEvent, Home, Recheck, RecheckDocumentCheck
from applications.models import Document, DocumentCheck
from lottery.models import Draw, Entry
from messaging.outbox import Kind, queue_text
from plans.models import Plan

# Homes × this many entrants are called by default: some fail, some give up.
MARGIN = 1.2


class RecheckError(Exception):
    """A step 资格复核 does not allow; the message is for staff."""


def drawn(plan: Plan) -> Draw:
    draw = Draw.objects.filter(plan=plan).first()
    if draw is None or not draw.is_drawn:
        raise RecheckError("该计划尚未摇号，不能开始资格复核。")
    return draw


def waiting_entries(plan: Plan, group: int):
    """The group's entries not yet called (候补), in 顺序号 order."""
    return (
        Entry.objects.filter(draw__plan=plan, group=group, recheck__isnull=True)
        .select_related("registration__applicant")
        .order_by("position")
    )


def group_homes(plan: Plan, group: int) -> int:
    """The homes imported for the projects whose entrants are in the group."""
    offerings = Entry.objects.filter(draw__plan=plan, group=group).values("registration__offering")
    return Home.objects.filter(offering__in=offerings).count()


def suggested_count(plan: Plan, group: int) -> int:
    """How many to call next: homes × MARGIN, less those called and not failed."""
    counts = Recheck.objects.filter(plan=plan, group=group).aggregate(
        called=Count("pk"), failed=Count("pk", filter=Q(state=Recheck.State.FAILED))
    )
    holding = counts["called"] - counts["failed"]
    return max(0, math.ceil(group_homes(plan, group) * MARGIN) - holding)


def call_next(
    *, plan: Plan, group: int, count: int, by: User, now: datetime | None = None
) -> list[Recheck]:
    """开放资格复核 for the next `count` entrants of the group, in 顺序号 order."""
    now = now or timezone.now()
    if count < 1:
        raise RecheckError("请填写要开放复核的人数（至少 1 人）。")
    with transaction.atomic():
        # The draw's row lock: two calls at once take the next entrants one after the other.
        draw = Draw.objects.select_for_update().filter(plan=plan).first()
        if draw is None or not draw.is_drawn:
            raise RecheckError("该计划尚未摇号，不能开始资格复核。")
        if not 1 <= group <= len(draw.groups):
            raise RecheckError("没有这个摇号分组。")
        entries = list(waiting_entries(plan, group)[:count])
        if not entries:
            raise RecheckError("该分组已没有候补的申请人。")
        rechecks = Recheck.objects.bulk_create(
            Recheck(
                entry=entry,
                registration=entry.registration,
                plan=plan,
                group=group,
                position=entry.position,
                called_at=now,
                called_by=by,
            )
            for entry in entries
        )
        AllocationEvent.objects.bulk_create(
            AllocationEvent(
                registration=entry.registration,
                plan=plan,
                kind=AllocationEvent.Kind.CALLED,
                detail=f"顺序号第 {entry.position} 号",
                actor=by,
                created_at=now,
            )
            for entry in entries
        )
        for entry in entries:
            queue_text(
                phone=entry.registration.applicant.phone.as_e164,
                text=(
                    f"您登记的“{plan.title}”（{entry.registration.number}）顺序号第 "
                    f"{entry.position} 号，已进入资格复核，请保持电话畅通，复核结果将短信通知。"
                ),
                kind=Kind.OTHER,
                reference=entry.registration.number,
            )
    return rechecks


def decide(
    recheck: Recheck, *, passed: bool, by: User, reason: str = "", now: datetime | None = None
) -> Recheck:
    """复核通过 / 复核不通过 (with the reason the entrant reads), once."""
    now = now or timezone.now()
    reason = reason.strip()
    if not passed and not reason:
        raise RecheckError("复核不通过时必须填写不通过原因。")
    with transaction.atomic():
        locked = (
            Recheck.objects.select_for_update()
            .select_related("plan", "registration__applicant")
            .get(pk=recheck.pk)
        )
        if locked.state != Recheck.State.REVIEWING:
            raise RecheckError(f"该申请人的资格复核已经是“{locked.get_state_display()}”。")
        locked.state = Recheck.State.PASSED if passed else Recheck.State.FAILED
        locked.reason = "" if passed else reason
        locked.decided_at, locked.decided_by = now, by
        locked.save(update_fields=["state", "reason", "decided_at", "decided_by"])
        registration = locked.registration
        AllocationEvent.objects.create(
            registration=registration,
            plan=locked.plan,
            kind=AllocationEvent.Kind.PASSED if passed else AllocationEvent.Kind.FAILED,
            detail=locked.reason,
            actor=by,
            created_at=now,
        )
        outcome = (
            "资格复核通过，选房场次确定后将短信通知您。"
            if passed
            else f"资格复核不通过，原因：{locked.reason}。"
        )
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=f"您登记的“{locked.plan.title}”（{registration.number}）{outcome}"
            "详情请登录配租平台查看配租记录。",
            kind=Kind.DECISION,
            reference=registration.number,
        )
    recheck.refresh_from_db()
    return recheck


def check_document(
    recheck: Recheck, *, document: Document, verdict: str, note: str, by: User
) -> RecheckDocumentCheck:
    """核验通过 / 不符 (with a note) for one document of the entrant's registration."""
    note = note.strip()
    if verdict not in DocumentCheck.Verdict.values:
        raise RecheckError("请选择核验结果。")
    if verdict == DocumentCheck.Verdict.MISMATCH and not note:
        raise RecheckError(f"{document.get_kind_display()}：选择“不符”时请填写说明。")
    if not recheck.registration.info.documents.filter(pk=document.pk).exists():
        raise RecheckError("该材料不属于这条登记。")
    check, _ = RecheckDocumentCheck.objects.update_or_create(
        recheck=recheck,
        document=document,
        defaults={
            "verdict": verdict,
            "note": note,
            "checked_by": by,
            "checked_at": timezone.now(),
        },
    )
    return check
