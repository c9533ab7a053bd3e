"""确认选房 and 放弃选房 in the entrant's turn; 代为选房 by staff on site.

A choice is made under the session's row lock, after settling the queue (allocation/turns.py),
so only the turn running at that instant may choose, and two presses meet one after the other.
The home goes from 可选 to 已选 with one conditional UPDATE, and the Choice row's partial unique
constraints (one holder per home, one home per entrant) are the database's last word, whatever
the views do: a refusal is an answer in Chinese, never a 500.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from allocation import rules, turns
from allocation.models import AllocationEvent, Choice, Home, Recheck, Session, Turn, new_code
from applications.models import new_reference
from messaging.outbox import Kind, queue_text
from rentcenter.dates import format_when


class Refused(Exception):
    """确认选房 or 放弃选房 is not possible now; the message is for the entrant."""


@dataclass(frozen=True)
class Stage:
    """Where an entrant stands after 资格复核: their waiting turn and its session, or their
    last turn, and their home."""

    recheck: Recheck
    turn: Turn | None  # the waiting turn, else the latest one
    choice: Choice | None  # the home they hold (chosen or signed), else the latest choice


def stage_of(recheck: Recheck) -> Stage:
    turns_of = recheck.turns.select_related("session__plan")
    turn = (
        turns_of.filter(state=Turn.State.WAITING).first()
        or turns_of.order_by("-session__starts_at", "-pk").first()
    )
    choice = (
        recheck.choices.select_related("home__offering__project", "home__rent_item", "slot")
        .order_by("-chosen_at", "-pk")
        .first()
    )
    return Stage(recheck, turn, choice)


def chooser(recheck: Recheck) -> rules.Chooser:
    registration = recheck.registration
    members = registration.info.family_members.aggregate(n=Count("pk"))["n"]
    return rules.Chooser(
        offering_id=registration.offering_id,
        household=1 + members,
        preferred_room=registration.info.preferred_room,
    )


def kind_of(home: Home) -> rules.HomeKind:
    return rules.HomeKind(home.offering_id, home.bedrooms)


def choosable(recheck: Recheck) -> list[Home]:
    """The homes still 可选 this entrant may choose, by the plan's rules, in building order."""
    active = rules.active(rules.policy_of(recheck.plan_id))
    facts = chooser(recheck)
    homes = Home.objects.filter(
        offering_id=recheck.registration.offering_id, state=Home.State.AVAILABLE
    ).select_related("rent_item")
    return [home for home in homes if rules.allowed(active, kind_of(home), facts)]


def _running_turn(recheck: Recheck, now: datetime) -> tuple[Session, turns.Queue, Turn]:
    """The entrant's turn, which must be the one running now. Inside a transaction: locks the
    session and settles its queue first."""
    waiting = recheck.turns.filter(state=Turn.State.WAITING).values_list("session", flat=True)
    session_id = waiting.first()
    if session_id is None:
        raise Refused(finished_message(recheck))
    session = turns.lock(Session(pk=session_id))
    queue = turns.settle(session, now)
    current = queue.current
    if current is None or current.recheck_id != recheck.pk:
        if not recheck.turns.filter(state=Turn.State.WAITING).exists():
            # Settling has just recorded how the turn ended (逾期未选, 本场未轮到 …).
            raise Refused(finished_message(recheck))
        if not queue.started:
            raise Refused(f"选房尚未开始，{format_when(session.starts_at)} 开始。")
        ahead = queue.ahead_of_recheck(recheck.pk)
        if ahead is None:
            raise Refused("本场选房暂时没有轮到您，请留意短信通知。")
        raise Refused(f"还没有轮到您选房，您前面还有 {ahead} 位，请等候。")
    return session, queue, current


def finished_message(recheck: Recheck) -> str:
    last = recheck.turns.exclude(state=Turn.State.WAITING).order_by("-ended_at", "-pk").first()
    messages = {
        Turn.State.CHOSEN: "您已确认选房，不能再次选房。",
        Turn.State.GAVE_UP: "您已放弃选房。",
        Turn.State.EXPIRED: "您的选房时间已过（逾期未选），视为放弃选房。",
        Turn.State.SKIPPED: "您登记的项目暂无符合选房规则的可选房源，您已转为候补。",
        Turn.State.MISSED: "本场选房已结束，未轮到您，您已转为候补。",
    }
    if last is None:
        return "您还没有选房场次，请留意短信通知。"
    return messages[last.state]


def choose(*, recheck: Recheck, home_id: int, by: User, now: datetime | None = None) -> Choice:
    """确认选房: the home is the entrant's at once. `by` is the entrant, or staff choosing on
    their behalf (代为选房), which the record keeps."""
    now = now or timezone.now()
    on_behalf = by.pk != recheck.registration.applicant_id
    with transaction.atomic():
        session, _queue, turn = _running_turn(recheck, now)
        home = (
            Home.objects.select_related("offering__project", "rent_item")
            .filter(pk=home_id, offering__plan_id=recheck.plan_id)
            .first()
        )
        if home is None:
            raise Refused("没有找到该房源。")
        refusals = rules.refusals(
            rules.active(rules.policy_of(recheck.plan_id)), kind_of(home), chooser(recheck)
        )
        if refusals:
            raise Refused(refusals[0])
        taken = Home.objects.filter(pk=home.pk, state=Home.State.AVAILABLE).update(
            state=Home.State.CHOSEN
        )
        if not taken:
            raise Refused("该房源已被选定或暂不可选，请选择其他房源。")
        try:
            with transaction.atomic():
                choice = Choice.objects.create(
                    number=new_reference("XF"),
                    verification_code=new_code(),
                    home=home,
                    recheck=recheck,
                    turn=turn,
                    chosen_at=now,
                    chosen_by=by,
                    on_behalf=on_behalf,
                    sign_by=session.sign_by,
                )
        except IntegrityError:
            raise Refused("该房源已被选定，或您已选定房源。") from None
        turns.end(turn, Turn.State.CHOSEN, at=now, by=by)
        registration = recheck.registration
        AllocationEvent.objects.create(
            registration=registration,
            home=home,
            plan_id=recheck.plan_id,
            kind=AllocationEvent.Kind.CHOSEN,
            detail=f"{home.offering.project.name} {home.label}"
            + ("（工作人员代为选房）" if on_behalf else ""),
            actor=by,
            created_at=now,
        )
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=(
                f"您已确认选房：“{session.plan.title}”{home.offering.project.name} {home.label}，"
                f"月租金 {home.monthly_rent} 元。请于 {format_when(session.sign_by)} 前预约并完成"
                "签约，逾期未签约的房源将被释放。选房确认书可在配租平台下载。"
            ),
            kind=Kind.OTHER,
            reference=registration.number,
        )
        turns.settle(session, now)  # the next turn starts now: its reminders
        turns.changed(session)
    return choice


def give_up(*, recheck: Recheck, by: User, now: datetime | None = None) -> Turn:
    """放弃选房 in one's turn: final; the next turn starts at once."""
    now = now or timezone.now()
    with transaction.atomic():
        session, _queue, turn = _running_turn(recheck, now)
        turns.end(turn, Turn.State.GAVE_UP, at=now, by=by)
        registration = recheck.registration
        AllocationEvent.objects.create(
            registration=registration,
            plan_id=recheck.plan_id,
            kind=AllocationEvent.Kind.GAVE_UP,
            actor=by,
            created_at=now,
        )
        queue_text(
            phone=registration.applicant.phone.as_e164,
            text=f"您已放弃“{session.plan.title}”的选房。如有疑问请拨打技术支持电话。",
            kind=Kind.OTHER,
            reference=registration.number,
        )
        turns.settle(session, now)
        turns.changed(session)
    return turn
