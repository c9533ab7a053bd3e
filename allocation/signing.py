"""签约: booking a published slot, staff recording 已签约, and releasing homes not signed for.

A slot's `booked` can never pass its capacity: a booking adds to it with one UPDATE … WHERE
booked < capacity (the database decides between two people taking the last place at once), and
a check constraint refuses anything else. A choice changes slot under its own row lock, giving
back its old place in the same transaction.

A home whose entrant has not signed by the session's 签约截止时间 is released by a staff action
(recorded and texted): it returns to 可选, on the board, for the next entrant in order (the
group's running session, or the next one staff set for the 候补).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from allocation import turns
from allocation.models import AllocationEvent, Choice, Home, Session, SigningSlot
from messaging.outbox import Kind, queue_text
from rentcenter.dates import format_when


class SigningError(Exception):
    """A 签约 step not possible now; the message is for the person who tried."""


def open_slots(choice: Choice, now: datetime | None = None):
    """The slots this entrant may book: the plan's, still ahead, before the signing deadline."""
    now = now or timezone.now()
    return SigningSlot.objects.filter(
        plan_id=choice.recheck.plan_id, starts_at__gt=now, ends_at__lte=choice.sign_by
    ).order_by("starts_at", "pk")


def _locked(choice: Choice) -> Choice:
    return (
        Choice.objects.select_for_update(of=("self",))
        .select_related("recheck__registration__applicant", "recheck__plan", "home__offering")
        .get(pk=choice.pk)
    )


def book(*, choice: Choice, slot_id: int, by: User, now: datetime | None = None) -> Choice:
    """预约签约 in a slot with a place left (or move to another one)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(choice)
        if locked.state != Choice.State.CHOSEN:
            raise SigningError(f"该选房结果为“{locked.get_state_display()}”，不能预约签约。")
        slot = open_slots(locked, now).filter(pk=slot_id).first()
        if slot is None:
            raise SigningError("该签约时段不可预约，请选择其他时段。")
        if locked.slot_id == slot.pk:
            return locked
        taken = SigningSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(
            booked=F("booked") + 1
        )
        if not taken:
            raise SigningError("该签约时段已约满，请选择其他时段。")
        if locked.slot_id:
            SigningSlot.objects.filter(pk=locked.slot_id).update(booked=F("booked") - 1)
        locked.slot = slot
        locked.save(update_fields=["slot"])
        registration = locked.recheck.registration
        AllocationEvent.objects.create(
            registration=registration,
            home=locked.home,
            plan=locked.recheck.plan,
            kind=AllocationEvent.Kind.BOOKED,
            detail=str(slot),
            actor=by,
            created_at=now,
        )
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=f"您已预约签约：{slot}。请携带身份证原件按时到场签约。",
            kind=Kind.OTHER,
            reference=registration.number,
        )
    return locked


def sign(*, choice: Choice, by: User, now: datetime | None = None) -> Choice:
    """记录已签约 (staff, once the lease is signed)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(choice)
        if locked.state != Choice.State.CHOSEN:
            raise SigningError(f"{locked.number} 为“{locked.get_state_display()}”，不能记录签约。")
        locked.state, locked.signed_at, locked.signed_by = Choice.State.SIGNED, now, by
        locked.save(update_fields=["state", "signed_at", "signed_by"])
        Home.objects.filter(pk=locked.home_id).update(state=Home.State.SIGNED)
        registration = locked.recheck.registration
        AllocationEvent.objects.create(
            registration=registration,
            home=locked.home,
            plan=locked.recheck.plan,
            kind=AllocationEvent.Kind.SIGNED,
            detail=locked.home.label,
            actor=by,
            created_at=now,
        )
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=f"您已完成“{locked.recheck.plan.title}”{locked.home.label}的签约。",
            kind=Kind.OTHER,
            reference=registration.number,
        )
        _board_changed(locked)
    return locked


def release(*, choice: Choice, by: User, now: datetime | None = None) -> Choice:
    """释放房源: the entrant did not sign by the deadline; the home is 可选 again."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(choice)
        if locked.state != Choice.State.CHOSEN:
            raise SigningError(f"{locked.number} 为“{locked.get_state_display()}”，不能释放。")
        if now <= locked.sign_by:
            raise SigningError(
                f"{locked.number} 的签约截止时间 {format_when(locked.sign_by)} 未到，不能释放。"
            )
        plan_id = locked.recheck.plan_id
        # The queues running now are recorded as they stand before the home comes back.
        for session in Session.objects.filter(
            plan_id=plan_id, starts_at__lte=now, turns__state="waiting"
        ).distinct():
            turns.settle(turns.lock(session), now)
        locked.state, locked.released_at, locked.released_by = Choice.State.RELEASED, now, by
        locked.save(update_fields=["state", "released_at", "released_by"])
        if locked.slot_id:
            SigningSlot.objects.filter(pk=locked.slot_id).update(booked=F("booked") - 1)
        Home.objects.filter(pk=locked.home_id).update(state=Home.State.AVAILABLE)
        registration = locked.recheck.registration
        AllocationEvent.objects.create(
            registration=registration,
            home=locked.home,
            plan_id=plan_id,
            kind=AllocationEvent.Kind.RELEASED,
            detail=locked.home.label,
            actor=by,
            created_at=now,
        )
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=(
                f"您未在 {format_when(locked.sign_by)} 前完成“{locked.recheck.plan.title}”"
                f"{locked.home.label}的签约，该房源已释放。如有疑问请拨打技术支持电话。"
            ),
            kind=Kind.OTHER,
            reference=registration.number,
        )
        _board_changed(locked)
    return locked


def _board_changed(choice: Choice) -> None:
    from allocation import homes

    homes.changed(choice.recheck.plan_id)
