"""Builders for the tests after the draw: a drawn plan, its homes, entrants who passed 资格复核
and a session. Dates are relative to the clock the test pinned."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from allocation import recheck, turns
from allocation.models import Home, Recheck, Session
from lottery import draw as lottery
from lottery.models import Entry
from plans.models import Plan, PlanProject
from projects.models import RentItem
from tests.factories import make_project, make_rent_item, make_staff
from tests.lottery.factories import NUMBERS, freeze_earlier, make_ended_plan, make_registrations

_numbers = iter(range(1, 1_000_000))


def make_drawn_plan(
    entrants: int = 5, *, projects: int = 1, applicants: list[User] | None = None
) -> Plan:
    """A plan whose registration ended, with `entrants` registrations spread over its
    `projects` (in turn), its list frozen half an hour ago and drawn now. `applicants` (real
    accounts) register first, for the tests that sign in."""
    plan = make_ended_plan(projects=[make_project() for _ in range(projects)])
    offerings = list(plan.plan_projects.order_by("position"))
    for applicant in applicants or []:
        make_registrations(plan, 1, applicant=applicant, offering=offerings[0])
    for index in range(entrants - len(applicants or [])):
        make_registrations(plan, 1, offering=offerings[index % len(offerings)])
    staff = make_staff()
    freeze_earlier(plan, by=staff)
    lottery.draw(plan=plan, numbers=NUMBERS, by=staff)
    return plan


def entries(plan: Plan) -> list[Entry]:
    return list(Entry.objects.filter(draw__plan=plan).order_by("overall_position"))


def make_homes(
    offering: PlanProject,
    count: int,
    *,
    rent_item: RentItem | None = None,
    bedrooms: int = 1,
    building: str = "1",
) -> list[Home]:
    rent_item = rent_item or make_rent_item(offering.project, homes=count)
    return [
        Home.objects.create(
            offering=offering,
            rent_item=rent_item,
            building=building,
            unit="1",
            floor=2 + index,
            number=f"{next(_numbers):04d}",
            area=Decimal("45.50"),
            orientation="南北",
            monthly_rent=3200,
            bedrooms=bedrooms,
        )
        for index in range(count)
    ]


def pass_entrants(
    plan: Plan, count: int, *, group: int = 1, by: User | None = None
) -> list[Recheck]:
    """Call the next `count` entrants of the group to 资格复核 and pass them all."""
    by = by or make_staff()
    called = recheck.call_next(plan=plan, group=group, count=count, by=by)
    return [recheck.decide(entrant, passed=True, by=by) for entrant in called]


def open_session(
    plan: Plan,
    *,
    starts_at: datetime | None = None,
    minutes: int = 10,
    hours: int = 4,
    group: int = 1,
    by: User | None = None,
) -> Session:
    starts_at = starts_at or timezone.now()
    return turns.set_session(
        plan=plan,
        group=group,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        minutes=minutes,
        sign_by=starts_at + timedelta(days=7),
        by=by or make_staff(),
    )


def ready_session(
    *, entrants: int = 3, homes: int = 3, minutes: int = 10, applicants=None, starts_at=None
) -> tuple[Plan, list[Recheck], list[Home], Session]:
    """A drawn plan of one project with `homes` homes, `entrants` passed 资格复核 and a session
    starting now (or at `starts_at`)."""
    plan = make_drawn_plan(entrants, applicants=applicants)
    offering = plan.plan_projects.get()
    free = make_homes(offering, homes)
    passed = pass_entrants(plan, entrants)
    session = open_session(plan, minutes=minutes, starts_at=starts_at)
    return plan, passed, free, session


def texts_to(registration) -> list[str]:
    """The texts written to the outbox for a registration (sent once the test's transaction
    would commit)."""
    from messaging.models import OutboxMessage

    return list(
        OutboxMessage.objects.filter(reference=registration.number)
        .order_by("pk")
        .values_list("text", flat=True)
    )


def all_texts() -> list[str]:
    from messaging.models import OutboxMessage

    return list(OutboxMessage.objects.order_by("pk").values_list("text", flat=True))
