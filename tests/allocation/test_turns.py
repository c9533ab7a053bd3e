"""选房 turns: 顺序号 order, the next turn at once, expiry without anyone acting, the session's
end, entrants with nothing left to choose, reminders (allocation/turns.py)."""

from datetime import timedelta

import pytest

from allocation import choosing, turns
from allocation.models import AllocationEvent, Home, Session, Turn
from tests.allocation.factories import (
    all_texts,
    make_drawn_plan,
    make_homes,
    open_session,
    pass_entrants,
    ready_session,
    texts_to,
)
from tests.clock import MORNING

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _morning(time_machine):
    time_machine.move_to(MORNING, tick=False)


def queue(session: Session, after: timedelta = timedelta()) -> turns.Queue:
    return turns.walk(Session.objects.get(pk=session.pk), MORNING + after)


def test_turns_follow_the_order_of_the_draw():
    _plan, passed, _homes, session = ready_session(entrants=3)
    order = list(session.turns.order_by("position").values_list("recheck", flat=True))
    assert order == [r.pk for r in sorted(passed, key=lambda r: r.position)]
    assert [r.position for r in passed] == [1, 2, 3]
    now = queue(session)
    assert now.current.recheck_id == passed[0].pk
    assert now.current_started_at == MORNING
    assert now.current_deadline == MORNING + timedelta(minutes=10)


def test_a_choice_outside_ones_turn_is_refused():
    _plan, passed, homes, _session = ready_session(entrants=3)
    with pytest.raises(choosing.Refused, match="还没有轮到您选房，您前面还有 1 位"):
        choosing.choose(recheck=passed[1], home_id=homes[0].pk, by=passed[1].registration.applicant)
    assert Home.objects.filter(state=Home.State.AVAILABLE).count() == 3


def test_nobody_chooses_before_the_session_starts(time_machine):
    plan = make_drawn_plan(2)
    make_homes(plan.plan_projects.get(), 2)
    passed = pass_entrants(plan, 2)
    open_session(plan, starts_at=MORNING + timedelta(hours=1))
    home = Home.objects.first()
    with pytest.raises(choosing.Refused, match="选房尚未开始"):
        choosing.choose(recheck=passed[0], home_id=home.pk, by=passed[0].registration.applicant)


def test_the_next_turn_starts_at_once_when_one_chooses(time_machine):
    _plan, passed, homes, session = ready_session(entrants=3)
    time_machine.move_to(MORNING + timedelta(minutes=2), tick=False)
    choosing.choose(recheck=passed[0], home_id=homes[0].pk, by=passed[0].registration.applicant)
    now = queue(session, timedelta(minutes=2))
    assert now.current.recheck_id == passed[1].pk
    assert now.current_started_at == MORNING + timedelta(minutes=2)
    assert now.current_deadline == MORNING + timedelta(minutes=12)


def test_an_expired_turn_passes_to_the_next_entrant_without_anyone_acting():
    _plan, passed, _homes, session = ready_session(entrants=3)
    # Nothing is recorded, no worker ran: the read alone knows the first turn has run out.
    later = queue(session, timedelta(minutes=10, seconds=1))
    assert later.current.recheck_id == passed[1].pk
    assert later.current_started_at == MORNING + timedelta(minutes=10)
    assert [(t.recheck_id, state) for t, state, _at in later.unrecorded] == [
        (passed[0].pk, Turn.State.EXPIRED)
    ]
    assert Turn.objects.filter(state=Turn.State.WAITING).count() == 3  # nothing written
    # Two turns later still, the third entrant's.
    assert queue(session, timedelta(minutes=25)).current.recheck_id == passed[2].pk


def test_settling_records_the_expiry_texts_it_and_gives_the_same_answer(time_machine):
    _plan, passed, homes, session = ready_session(entrants=3)
    time_machine.move_to(MORNING + timedelta(minutes=11), tick=False)
    assert turns.settle_due() == 1
    first = Turn.objects.get(recheck=passed[0])
    assert first.state == Turn.State.EXPIRED
    assert first.ended_at == MORNING + timedelta(minutes=10)
    assert first.ended_by is None
    assert AllocationEvent.objects.filter(
        registration=passed[0].registration, kind=AllocationEvent.Kind.EXPIRED
    ).exists()
    assert any("逾期未选" in text for text in texts_to(passed[0].registration))
    assert queue(session, timedelta(minutes=11)).current.recheck_id == passed[1].pk
    # 逾期 is final: counted as 放弃.
    with pytest.raises(choosing.Refused, match="逾期未选"):
        choosing.choose(recheck=passed[0], home_id=homes[0].pk, by=passed[0].registration.applicant)


def test_giving_up_moves_the_queue_and_is_final(time_machine):
    _plan, passed, homes, session = ready_session(entrants=2)
    time_machine.move_to(MORNING + timedelta(minutes=1), tick=False)
    choosing.give_up(recheck=passed[0], by=passed[0].registration.applicant)
    turn = Turn.objects.get(recheck=passed[0])
    assert turn.state == Turn.State.GAVE_UP
    assert turn.ended_by == passed[0].registration.applicant
    now = queue(session, timedelta(minutes=1))
    assert now.current.recheck_id == passed[1].pk
    assert now.current_deadline == MORNING + timedelta(minutes=11)
    with pytest.raises(choosing.Refused, match="您已放弃选房"):
        choosing.choose(recheck=passed[0], home_id=homes[0].pk, by=passed[0].registration.applicant)


def test_no_turn_starts_after_the_sessions_end_and_the_rest_stay_candidates(time_machine):
    plan = make_drawn_plan(4)
    make_homes(plan.plan_projects.get(), 4)
    passed = pass_entrants(plan, 4)
    # 25 minutes, 10 a turn: three turns start (the third at 20 minutes and runs to 30).
    session = turns.set_session(
        plan=plan,
        group=1,
        starts_at=MORNING,
        ends_at=MORNING + timedelta(minutes=25),
        minutes=10,
        sign_by=MORNING + timedelta(days=3),
        by=passed[0].called_by,
    )
    assert queue(session, timedelta(minutes=29)).current.recheck_id == passed[2].pk
    over = queue(session, timedelta(minutes=31))
    assert over.over
    assert [(t.recheck_id, s) for t, s, _ in over.unrecorded][-1] == (
        passed[3].pk,
        Turn.State.MISSED,
    )
    time_machine.move_to(MORNING + timedelta(minutes=31), tick=False)
    turns.settle_due()
    assert Turn.objects.get(recheck=passed[3]).state == Turn.State.MISSED
    # The next session takes the one not reached; those who ran out of time are done.
    tomorrow = MORNING + timedelta(days=1)
    second = open_session(plan, starts_at=tomorrow)
    assert list(second.turns.values_list("recheck", flat=True)) == [passed[3].pk]


def test_a_new_session_waits_for_the_groups_last_one_to_end():
    plan, _passed, _homes, _session = ready_session(entrants=2)
    with pytest.raises(turns.TurnError, match="上一场选房尚未结束"):
        open_session(plan, starts_at=MORNING + timedelta(hours=1))


def test_a_session_needs_passed_entrants_and_a_drawn_plan():
    plan = make_drawn_plan(2)
    with pytest.raises(turns.TurnError, match="没有复核通过且待选房的申请人"):
        open_session(plan)


def test_an_entrant_with_nothing_left_to_choose_is_passed_over(time_machine):
    plan = make_drawn_plan(6, projects=2)
    empty, full = plan.plan_projects.order_by("position")
    make_homes(full, 3)  # none in the first project
    passed = sorted(pass_entrants(plan, 6), key=lambda r: r.position)
    session = open_session(plan)
    now = queue(session)
    with_homes = [r for r in passed if r.registration.offering_id == full.pk]
    without = [r for r in passed if r.registration.offering_id == empty.pk]
    assert now.current.recheck_id == with_homes[0].pk
    assert [turn.recheck_id for turn in now.line] == [r.pk for r in with_homes]
    passed_over = [r.pk for r in without if r.position < with_homes[0].position]
    assert [(t.recheck_id, s) for t, s, _ in now.unrecorded] == [
        (pk, Turn.State.SKIPPED) for pk in passed_over
    ]
    turns.settle_due()
    assert set(
        Turn.objects.filter(state=Turn.State.SKIPPED).values_list("recheck", flat=True)
    ) == set(passed_over)


def test_entrants_are_texted_the_session_and_reminded_three_turns_ahead(time_machine):
    plan = make_drawn_plan(6)
    make_homes(plan.plan_projects.get(), 6)
    passed = pass_entrants(plan, 6)
    before = len(all_texts())
    session = open_session(plan)
    notices = [text for text in all_texts()[before:] if text.startswith("选房通知")]
    assert len(notices) == 6
    assert "顺序号第 1 号" in notices[0]
    before = len(all_texts())
    turns.settle_due()
    reminded = sorted(Turn.objects.exclude(reminded_at=None).values_list("position", flat=True))
    assert reminded == [1, 2, 3, 4]  # the running turn and three ahead
    reminders = all_texts()[before:]
    assert sum("现在轮到您选房" in text for text in reminders) == 1
    assert sum("您前面还有 3 位" in text for text in reminders) == 1
    before = len(all_texts())
    turns.settle_due()
    assert all_texts()[before:] == []  # once
    time_machine.move_to(MORNING + timedelta(minutes=1), tick=False)
    choosing.give_up(recheck=passed[0], by=passed[0].registration.applicant)
    assert Turn.objects.get(session=session, position=5).reminded_at is not None


def test_the_snapshot_says_how_many_are_ahead_and_when():
    _plan, passed, _homes, session = ready_session(entrants=4)
    snapshot = turns.snapshot(session, MORNING + timedelta(minutes=3))
    third = Turn.objects.get(recheck=passed[2])
    assert snapshot.current_position == 1
    assert snapshot.ahead_of(third.pk) == 2
    # The running turn ends at 10:10 at the latest, the next at 10:20: 预计 10:20.
    assert snapshot.expected_at(third.pk) == MORNING + timedelta(minutes=20)
