"""选房 turns: who is choosing now, computed from stored facts, never from a clock tick.

A session (选房场次) of one group lists the entrants who passed 资格复核 and have not finished,
in 顺序号 order (Turn rows). What is stored is what happened: a turn's end when the entrant
chose (确认选房) or gave up (放弃选房), or, recorded afterwards, when its time ran out (逾期未选).
Which turn runs is derived, so any read knows it at once and no worker needs to be on time:

    cursor = the session's start, or the latest recorded end of one of its turns
    for each waiting turn, in 顺序号 order:
        no turn starts at or after the session's end: the rest stay 候补 (本场未轮到)
        an entrant with nothing left to choose (allocation/rules.py) is passed over at once
            (无可选房源; they stay 候补 for a later session, when homes may have come back)
        its deadline is cursor + minutes per turn
        now before the deadline: this is the running turn, started at cursor
        otherwise it expired at its deadline (逾期未选, counted as 放弃), and the cursor moves there

So the queue moves as fast as people choose, and an expired turn passes to the next entrant
without anyone acting. `settle()` records what a read would only derive (逾期未选, 无可选房源,
本场未轮到) and sends the reminders ("three turns away"); it runs under the session's row lock,
in every action that moves the queue (确认选房, 放弃选房, a staff change to the homes) before that
action looks at the queue, and in the workers' sweep (allocation/tasks.py, every
OUTBOX_SWEEP_SECONDS), which only makes the records and texts timely: the answer is the same
whether they are recorded or not.

The session's end: a turn that started before it runs its full minutes; none starts after it.
Entrants not reached stay 候补 and are in the next session staff set for the group, before those
called later. 逾期未选 and 放弃选房 are final (the plan counts 逾期 as 放弃).

A read of the queue costs three queries (the last recorded end, the waiting turns with their
entrants' facts, the kinds of homes still free); pages keep it for QUEUE_SECONDS in the shared
cache as a Snapshot, dropped when a change commits.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from allocation import rules
from allocation.models import AllocationEvent, Home, Recheck, Session, Turn
from applications.models import FamilyMember
from lottery.models import Draw
from messaging.outbox import Kind, queue_text
from plans.models import Plan
from rentcenter.dates import format_when

# How long a snapshot of a queue is kept at most; every change drops it when it commits.
QUEUE_SECONDS = 5
# The reminder goes when this many turns (or fewer) are ahead of an entrant.
REMINDER_AHEAD = 3


class TurnError(Exception):
    """A step the queue does not allow now; the message is for the person who tried."""


@dataclass
class Queue:
    """A session's queue at an instant, as derived from what is stored."""

    session: Session
    now: datetime
    started: bool
    current: Turn | None = None
    current_started_at: datetime | None = None
    current_deadline: datetime | None = None
    # The waiting turns still to choose in this session, the running one first, in order.
    line: list[Turn] = field(default_factory=list)
    # What happened without being recorded yet: (turn, state, ended_at).
    unrecorded: list[tuple[Turn, str, datetime]] = field(default_factory=list)

    @property
    def over(self) -> bool:
        """Started, and no turn runs or will start in this session."""
        return self.started and self.current is None

    def ahead_of_recheck(self, recheck_id: int) -> int | None:
        """How many turns come before this entrant's in the line (None: not in it)."""
        for index, turn in enumerate(self.line):
            if turn.recheck_id == recheck_id:
                return index
        return None


def chooser_of(turn: Turn) -> rules.Chooser:
    """The rules' view of a turn's entrant (the turn annotated by `waiting_turns`)."""
    return rules.Chooser(
        offering_id=turn.offering_id,
        household=1 + turn.member_count,
        preferred_room=turn.preferred_room or "",
    )


def waiting_turns(session: Session):
    """The session's waiting turns in 顺序号 order, with what the rules read of each entrant and
    what a text to them needs, in one query."""
    registration = "recheck__registration"
    members = (
        FamilyMember.objects.filter(info=OuterRef(f"{registration}__info"))
        .order_by()
        .values("info")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        session.turns.filter(state=Turn.State.WAITING)
        .select_related(f"{registration}__applicant", "session__plan")
        .annotate(
            offering_id=F(f"{registration}__offering_id"),
            preferred_room=F(f"{registration}__info__preferred_room"),
            member_count=Coalesce(Subquery(members), 0),
        )
        .order_by("position")
    )


def free_kinds(plan_id: int) -> set[rules.HomeKind]:
    """The kinds of homes still 可选 in the plan: what the rules need to know whether an
    entrant has anything left to choose."""
    rows = (
        Home.objects.filter(offering__plan_id=plan_id, state=Home.State.AVAILABLE)
        .values_list("offering_id", "bedrooms")
        .distinct()
    )
    return {rules.HomeKind(offering_id, bedrooms) for offering_id, bedrooms in rows}


def walk(session: Session, now: datetime) -> Queue:
    """The queue of `session` at `now`, derived (module docstring); writes nothing."""
    started = now >= session.starts_at
    queue = Queue(session=session, now=now, started=started)
    last_end = session.turns.exclude(state__in=[Turn.State.WAITING, Turn.State.MISSED]).aggregate(
        last=Max("ended_at")
    )["last"]
    cursor = max(session.starts_at, last_end or session.starts_at)
    minutes = timedelta(minutes=session.minutes_per_turn)
    active = rules.active(rules.policy_of(session.plan_id))
    kinds = free_kinds(session.plan_id) if started else set()
    waiting = list(waiting_turns(session))
    for index, turn in enumerate(waiting):
        if cursor >= session.ends_at:
            if started:
                queue.unrecorded += [(rest, Turn.State.MISSED, cursor) for rest in waiting[index:]]
            break
        if not started:
            queue.line = waiting[index:]
            break
        chooser = chooser_of(turn)
        if not any(rules.allowed(active, kind, chooser) for kind in kinds):
            queue.unrecorded.append((turn, Turn.State.SKIPPED, cursor))
            continue
        deadline = cursor + minutes
        if now < deadline:
            queue.current, queue.current_started_at, queue.current_deadline = turn, cursor, deadline
            queue.line = [turn] + [
                later
                for later in waiting[index + 1 :]
                if any(rules.allowed(active, kind, chooser_of(later)) for kind in kinds)
            ]
            break
        queue.unrecorded.append((turn, Turn.State.EXPIRED, deadline))
        cursor = deadline
    return queue


# Snapshots for pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What the pages show of a queue, kept in the cache for a few seconds: plain data."""

    session_id: int
    starts_at: datetime
    ends_at: datetime
    minutes: int
    started: bool
    over: bool
    current_position: int | None
    current_deadline: datetime | None
    line: tuple[int, ...]  # turn ids, the running one first
    valid_until: datetime  # the instant the answer changes by itself
    # Turns that ended without being recorded yet (逾期未选 …): turn id → state.
    ended: tuple[tuple[int, str], ...] = ()

    def ended_as(self, turn_id: int) -> str | None:
        return dict(self.ended).get(turn_id)

    def ahead_of(self, turn_id: int) -> int | None:
        try:
            return self.line.index(turn_id)
        except ValueError:
            return None

    def expected_at(self, turn_id: int) -> datetime | None:
        """预计 HH:MM 轮到您: the latest the turn can start, if everyone ahead used their full
        time (someone choosing faster brings it forward)."""
        ahead = self.ahead_of(turn_id)
        if ahead is None or self.over:
            return None
        per_turn = timedelta(minutes=self.minutes)
        if self.current_deadline is not None:
            return self.current_deadline + per_turn * (ahead - 1) if ahead else None
        return self.starts_at + per_turn * ahead


def snapshot_of(queue: Queue) -> Snapshot:
    session = queue.session
    if not queue.started:
        valid_until = session.starts_at
    elif queue.current_deadline is not None:
        valid_until = queue.current_deadline
    else:
        valid_until = queue.now + timedelta(seconds=QUEUE_SECONDS)
    return Snapshot(
        session_id=session.pk,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        minutes=session.minutes_per_turn,
        started=queue.started,
        over=queue.over,
        current_position=queue.current.position if queue.current else None,
        current_deadline=queue.current_deadline,
        line=tuple(turn.pk for turn in queue.line),
        valid_until=valid_until,
        ended=tuple((turn.pk, state) for turn, state, _at in queue.unrecorded),
    )


def snapshot_key(session_id: int) -> str:
    return f"allocation:queue:{session_id}"


def snapshot(session: Session, now: datetime | None = None) -> Snapshot:
    """The queue as pages show it: from the cache when fresh, else walked and kept."""
    now = now or timezone.now()
    key = snapshot_key(session.pk)
    kept: Snapshot | None = cache.get(key)
    if kept is not None and kept.valid_until > now:
        return kept
    taken = snapshot_of(walk(session, now))
    seconds = min(QUEUE_SECONDS, (taken.valid_until - now).total_seconds())
    if seconds >= 1:
        cache.set(key, taken, timeout=math.floor(seconds))
    return taken


def changed(session: Session) -> None:
    """After commit: the queue of `session` and the boards showing it are no longer true."""
    from allocation import board

    def forget() -> None:
        cache.delete(snapshot_key(session.pk))
        board.forget(session.plan_id)

    transaction.on_commit(forget)


# Recording ---------------------------------------------------------------------------------


TEXTS = {
    Turn.State.EXPIRED: (
        "您在“{plan}”的选房中未在规定时间内确认选房（逾期未选），按规定视为放弃选房。"
    ),
    Turn.State.SKIPPED: (
        "“{plan}”的选房轮到您时，您登记的项目暂无符合选房规则的可选房源。您将作为候补，"
        "有房源时另行通知。"
    ),
    Turn.State.MISSED: (
        "“{plan}”本场选房已结束，未轮到您。您将作为候补参加下一场选房，届时另行通知。"
    ),
}
EVENTS = {
    Turn.State.EXPIRED: AllocationEvent.Kind.EXPIRED,
    Turn.State.SKIPPED: AllocationEvent.Kind.SKIPPED,
    Turn.State.MISSED: AllocationEvent.Kind.MISSED,
}


def lock(session: Session) -> Session:
    """The session's row, locked until the transaction ends: every step that moves its queue
    waits for the one before it. Call inside a transaction."""
    return Session.objects.select_for_update().select_related("plan").get(pk=session.pk)


def settle(session: Session, now: datetime | None = None) -> Queue:
    """Record what the queue derives but nobody recorded, send the reminders, and return the
    queue as it now stands. Call inside a transaction with the session locked (`lock`)."""
    now = now or timezone.now()
    queue = walk(session, now)
    for turn, state, ended_at in queue.unrecorded:
        end(turn, state, at=ended_at, by=None)
    remind(queue)
    if queue.unrecorded:
        changed(session)
    queue.unrecorded = []
    return queue


def end(turn: Turn, state: str, *, at: datetime, by: User | None, detail: str = "") -> None:
    """A turn ends: its record, the entrant's event and, for the system's endings, a text."""
    updated = Turn.objects.filter(pk=turn.pk, state=Turn.State.WAITING).update(
        state=state, ended_at=at, ended_by=by
    )
    if not updated:
        raise TurnError("该选房顺序已经结束。")
    turn.state, turn.ended_at = state, at
    registration = turn.recheck.registration
    plan = turn.session.plan
    if state in EVENTS:
        AllocationEvent.objects.create(
            registration=registration,
            plan=plan,
            kind=EVENTS[state],
            detail=detail,
            actor=by,
            created_at=at,
        )
    if state in TEXTS:
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=TEXTS[state].format(plan=plan.title) + "详情请登录配租平台查看。",
            kind=Kind.OTHER,
            reference=registration.number,
        )


def remind(queue: Queue) -> int:
    """选房提醒 to each entrant REMINDER_AHEAD turns away or closer, once."""
    if not queue.started or queue.current is None:
        return 0
    due = [
        (ahead, turn)
        for ahead, turn in enumerate(queue.line[: REMINDER_AHEAD + 1])
        if turn.reminded_at is None
    ]
    per_turn = timedelta(minutes=queue.session.minutes_per_turn)
    for ahead, turn in due:
        registration = turn.recheck.registration
        if ahead:
            expected = queue.current_deadline + per_turn * (ahead - 1)
            text = (
                f"“{queue.session.plan.title}”选房提醒：您前面还有 {ahead} 位，预计 "
                f"{timezone.localtime(expected):%H:%M} 前轮到您选房，请登录配租平台做好准备。"
            )
        else:
            deadline = timezone.localtime(queue.current_deadline)
            text = (
                f"“{queue.session.plan.title}”现在轮到您选房，请在 {deadline:%H:%M} 前登录配租"
                "平台确认选房，逾期视为放弃。"
            )
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=text,
            kind=Kind.OTHER,
            reference=registration.number,
        )
    Turn.objects.filter(pk__in=[turn.pk for _ahead, turn in due]).update(reminded_at=queue.now)
    return len(due)


# Setting a session ---------------------------------------------------------------------------


def latest_sessions(plan: Plan) -> dict[int, Session]:
    """Each group's latest session (by start), the one its pages show."""
    latest: dict[int, Session] = {}
    for session in plan.choosing_sessions.order_by("group", "starts_at", "pk"):
        latest[session.group] = session
    return latest


def eligible(plan: Plan, group: int):
    """Who takes part in a new session of the group: passed 资格复核, not finished (no home
    chosen, not 放弃, not 逾期), not waiting in another session; in 顺序号 order."""
    finished = Turn.objects.filter(state__in=Turn.FINAL).values("recheck")
    waiting = Turn.objects.filter(state=Turn.State.WAITING).values("recheck")
    return (
        Recheck.objects.filter(plan=plan, group=group, state=Recheck.State.PASSED)
        .exclude(pk__in=finished)
        .exclude(pk__in=waiting)
        .select_related("registration__applicant", "registration__offering__project")
        .order_by("position")
    )


def set_session(
    *,
    plan: Plan,
    group: int,
    starts_at: datetime,
    ends_at: datetime,
    minutes: int,
    sign_by: datetime,
    by: User,
    now: datetime | None = None,
) -> Session:
    """设置选房场次: the group's entrants who passed 资格复核 and are still to choose, in 顺序号
    order, each texted 选房通知. The group's earlier session must be over."""
    now = now or timezone.now()
    if not ends_at > starts_at:
        raise TurnError("结束时间必须晚于开始时间。")
    if not sign_by > ends_at:
        raise TurnError("签约截止时间必须晚于选房结束时间。")
    if not 1 <= minutes <= 120:
        raise TurnError("每人选房时间须在 1 至 120 分钟之间。")
    with transaction.atomic():
        draw = Draw.objects.select_for_update().filter(plan=plan).first()
        if draw is None or not draw.is_drawn:
            raise TurnError("该计划尚未摇号，不能设置选房场次。")
        if not 1 <= group <= len(draw.groups):
            raise TurnError("没有这个摇号分组。")
        for earlier in plan.choosing_sessions.filter(group=group):
            queue = settle(lock(earlier), now)
            if not queue.over or earlier.ends_at > starts_at:
                raise TurnError("该分组上一场选房尚未结束，不能设置新的场次。")
        entrants = list(eligible(plan, group))
        if not entrants:
            raise TurnError("该分组没有复核通过且待选房的申请人。")
        session = Session.objects.create(
            plan=plan,
            group=group,
            starts_at=starts_at,
            ends_at=ends_at,
            minutes_per_turn=minutes,
            sign_by=sign_by,
            created_by=by,
            created_at=now,
        )
        Turn.objects.bulk_create(
            Turn(session=session, recheck=recheck, position=recheck.position)
            for recheck in entrants
        )
        when = format_when(starts_at)
        for order, recheck in enumerate(entrants):
            registration = recheck.registration
            AllocationEvent.objects.create(
                registration=registration,
                plan=plan,
                kind=AllocationEvent.Kind.SESSION,
                detail=f"{when} 开始，每人 {minutes} 分钟，本场第 {order + 1} 位",
                actor=by,
                created_at=now,
            )
            expected = starts_at + timedelta(minutes=minutes) * order
            queue_text(
                phone=registration.applicant.phone.as_e164,
                text=(
                    f"选房通知：“{plan.title}”选房于 {when} 开始，您的顺序号第 "
                    f"{recheck.position} 号，最晚约 {timezone.localtime(expected):%H:%M} 轮到您，"
                    f"每人选房时间 {minutes} 分钟，逾期视为放弃。前面的申请人选得快时会提前轮到"
                    "您，请留意短信并登录配租平台选房。"
                ),
                kind=Kind.OTHER,
                reference=registration.number,
            )
        changed(session)
    return session


def publish_results(session: Session, *, by: User, now: datetime | None = None) -> None:
    """公布选房结果 of a session that is over."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock(session)
        if locked.is_published:
            raise TurnError("该场次的选房结果已经公布。")
        if not settle(locked, now).over:
            raise TurnError("该场次选房尚未结束，结束后才能公布选房结果。")
        locked.results_published_at, locked.results_published_by = now, by
        locked.save(update_fields=["results_published_at", "results_published_by"])
        changed(locked)


def settle_due(now: datetime | None = None) -> int:
    """The workers' sweep: settle every session that has started and still has waiting turns,
    each in its own transaction; how many were looked at."""
    now = now or timezone.now()
    due = Session.objects.filter(starts_at__lte=now, turns__state=Turn.State.WAITING).distinct()
    count = 0
    for session in due:
        with transaction.atomic():
            settle(lock(session), now)
        count += 1
    return count
