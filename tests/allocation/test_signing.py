"""签约: slots with a capacity, 已签约, and releasing a home not signed for
(allocation/signing.py)."""

from datetime import timedelta

import pytest

from allocation import choosing, signing, turns
from allocation.models import AllocationEvent, Choice, Home, SigningSlot
from tests.allocation.factories import ready_session, texts_to
from tests.clock import MORNING
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(time_machine):
    time_machine.move_to(MORNING, tick=False)


def chosen(entrants: int = 2, homes: int = 2):
    plan, passed, free, session = ready_session(entrants=entrants, homes=homes)
    choice = choosing.choose(
        recheck=passed[0], home_id=free[0].pk, by=passed[0].registration.applicant
    )
    return plan, passed, free, session, choice


def slot(plan, *, capacity: int = 2, days: int = 1) -> SigningSlot:
    starts = MORNING + timedelta(days=days)
    return SigningSlot.objects.create(
        plan=plan,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="望京锦苑公寓物业服务中心",
        capacity=capacity,
    )


def test_an_entrant_books_a_slot_and_moves_to_another():
    plan, passed, _free, _session, choice = chosen()
    first, second = slot(plan), slot(plan, days=2)
    signing.book(choice=choice, slot_id=first.pk, by=passed[0].registration.applicant)
    first.refresh_from_db()
    assert first.booked == 1
    signing.book(choice=choice, slot_id=second.pk, by=passed[0].registration.applicant)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (0, 1)
    choice.refresh_from_db()
    assert choice.slot == second
    assert AllocationEvent.objects.filter(kind="booked").count() == 2
    assert "您已预约签约" in texts_to(passed[0].registration)[-1]


def test_a_full_slot_or_one_after_the_deadline_is_refused():
    plan, passed, _free, _session, choice = chosen()
    full = slot(plan, capacity=1)
    SigningSlot.objects.filter(pk=full.pk).update(booked=1)
    with pytest.raises(signing.SigningError, match="已约满"):
        signing.book(choice=choice, slot_id=full.pk, by=passed[0].registration.applicant)
    late = slot(plan, days=30)  # after the session's 签约截止时间 (7 days)
    with pytest.raises(signing.SigningError, match="不可预约"):
        signing.book(choice=choice, slot_id=late.pk, by=passed[0].registration.applicant)


def test_staff_record_the_signing():
    _plan, _passed, free, _session, choice = chosen()
    staff = make_staff()
    signing.sign(choice=choice, by=staff)
    choice.refresh_from_db()
    free[0].refresh_from_db()
    assert (choice.state, choice.signed_by) == (Choice.State.SIGNED, staff)
    assert free[0].state == Home.State.SIGNED
    with pytest.raises(signing.SigningError, match="不能记录签约"):
        signing.sign(choice=choice, by=staff)
    with pytest.raises(signing.SigningError, match="不能释放"):
        signing.release(choice=choice, by=staff, now=MORNING + timedelta(days=30))


def test_a_home_is_released_only_after_the_deadline_and_returns_to_the_board(client, time_machine):
    plan, passed, free, session, choice = chosen(entrants=3, homes=1)
    booked = slot(plan)
    signing.book(choice=choice, slot_id=booked.pk, by=passed[0].registration.applicant)
    staff = make_staff()
    with pytest.raises(signing.SigningError, match=r"签约截止时间 .* 未到"):
        signing.release(choice=choice, by=staff)
    after = session.sign_by + timedelta(minutes=1)
    time_machine.move_to(after, tick=False)
    signing.release(choice=choice, by=staff)
    choice.refresh_from_db()
    free[0].refresh_from_db()
    booked.refresh_from_db()
    assert choice.state == Choice.State.RELEASED
    assert choice.released_by == staff
    assert free[0].state == Home.State.AVAILABLE
    assert booked.booked == 0
    assert AllocationEvent.objects.filter(kind="released", actor=staff).exists()
    assert "该房源已释放" in texts_to(passed[0].registration)[-1]
    board = client.get(f"/plans/{plan.pk}/hall/board/").content.decode()
    assert '<span class="stat-number" id="homes-left">1</span>' in board


def test_a_released_home_is_offered_to_the_next_entrant_in_order(time_machine):
    plan, passed, free, session, choice = chosen(entrants=3, homes=1)
    # The others were passed over (无可选房源) when the only home was taken.
    turns.settle_due()
    sign_by = session.sign_by
    time_machine.move_to(sign_by + timedelta(minutes=1), tick=False)
    signing.release(choice=choice, by=make_staff())
    second = turns.set_session(
        plan=plan,
        group=1,
        starts_at=sign_by + timedelta(hours=1),
        ends_at=sign_by + timedelta(hours=3),
        minutes=10,
        sign_by=sign_by + timedelta(days=7),
        by=make_staff(),
    )
    line = list(second.turns.order_by("position").values_list("recheck", flat=True))
    assert line == [passed[1].pk, passed[2].pk]
    time_machine.move_to(sign_by + timedelta(hours=1, minutes=1), tick=False)
    again = choosing.choose(
        recheck=passed[1], home_id=free[0].pk, by=passed[1].registration.applicant
    )
    assert again.home == free[0]
