"""配租登记: registering an applicant for one project of a plan (manual section 五)."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from accounts.models import User
from applications import eligibility
from applications.models import (
    REFERENCE_ALPHABET,
    ApplicationInfo,
    Progress,
    Registration,
    RegistrationEvent,
    new_reference,
)
from messaging.outbox import Kind, queue_text
from plans.models import Plan, PlanProject


class NotOpen(Exception):
    """Registration is possible only between the plan's start and end (server time)."""


class NoInfo(Exception):
    """Registration needs the applicant's submitted 信息填报 for the plan (manual section 五)."""


@dataclass(frozen=True)
class Outcome:
    registration: Registration | None
    created: bool = False
    failed_conditions: list[str] = field(default_factory=list)


def register(
    *, applicant: User, plan: Plan, offering: PlanProject, today: date | None = None
) -> Outcome:
    """Screen the applicant's latest submission and register them, exactly once.

    The partial unique constraint (one active registration per person per plan) is what makes
    this safe, and what finds a second attempt: the insert fails inside its savepoint and the
    attempt returns the registration the first one made. So the usual case, a first
    registration, costs one query for the submission and the inserts; nothing is looked up
    twice. Registrations for one project share no row, so they never wait for each other;
    已登记人数 is counted from the rows.
    """
    if not plan.is_registration_open:
        raise NotOpen
    info = ApplicationInfo.objects.latest_for(applicant, plan)
    if info is None:
        raise NoInfo
    failed = eligibility.screen(plan=plan, info=info, today=today or timezone.localdate())
    if failed:
        existing = _active(applicant, plan)
        return _duplicate(existing) if existing else Outcome(None, failed_conditions=failed)
    for _attempt in range(3):
        try:
            return Outcome(_create(applicant, plan, offering, info), created=True)
        except IntegrityError:
            existing = _active(applicant, plan)
            if existing:
                return _duplicate(existing)
            # Otherwise two registrations drew the same random number: draw again.
    raise RuntimeError("could not find a free registration number")


@dataclass(frozen=True)
class PlansState:
    """What one applicant has done for some plans: the plans whose 信息填报 they submitted, and
    their registration (not cancelled) in each plan they registered for."""

    submitted: frozenset[int]
    registered: dict[int, str]  # plan id → 目前进度


NO_STATE = PlansState(frozenset(), {})


def plans_state(applicant: User, plan_ids: Iterable[int]) -> PlansState:
    """For the buttons of every page that lists plans: one indexed query for all of them.

    Written in SQL because it runs on every signed-in view of the home page, where the ORM's
    building of a UNION cost three times the query itself (make bench, cached pages)."""
    plan_ids = list(plan_ids)
    if not plan_ids:
        return NO_STATE
    marks = ", ".join(["%s"] * len(plan_ids))
    infos, registrations = ApplicationInfo._meta.db_table, Registration._meta.db_table
    # Table names come from the models; every value is a parameter.
    sql = " ".join(
        [
            f"SELECT plan_id, '' FROM {infos}",  # noqa: S608
            f"WHERE applicant_id = %s AND plan_id IN ({marks})",
            f"UNION SELECT plan_id, progress FROM {registrations}",  # noqa: S608
            f"WHERE applicant_id = %s AND progress <> %s AND plan_id IN ({marks})",
        ]
    )
    params = [applicant.pk, *plan_ids, applicant.pk, Progress.CANCELLED, *plan_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return PlansState(
        submitted=frozenset(plan_id for plan_id, progress in rows if not progress),
        registered={plan_id: progress for plan_id, progress in rows if progress},
    )


def _active(applicant: User, plan: Plan) -> Registration | None:
    return Registration.objects.of(applicant).active().filter(plan=plan).first()


def registered_counts(offering_ids: Iterable[int]) -> dict[int, int]:
    """已登记人数 of each offered project: its registrations that are not cancelled, counted on
    a partial index of the active rows. Pages that show it cache the figure for a few seconds."""
    ids = list(offering_ids)
    counts = dict(
        Registration.objects.filter(offering_id__in=ids)
        .active()
        .values_list("offering_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {pk: counts.get(pk, 0) for pk in ids}


def _duplicate(existing: Registration) -> Outcome:
    """A second registration attempt: counted for the staff dashboard, answered with the first."""
    Plan.objects.filter(pk=existing.plan_id).update(
        duplicates_prevented=F("duplicates_prevented") + 1
    )
    return Outcome(existing)


def _create(
    applicant: User, plan: Plan, offering: PlanProject, info: ApplicationInfo
) -> Registration:
    with transaction.atomic():
        registration = Registration.objects.create(
            number=new_reference("PZ"),
            applicant=applicant,
            plan=plan,
            offering=offering,
            info=info,
            # Printed under the QR code: no characters that read alike (Crockford's base32).
            verification_code="".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12)),
        )
        RegistrationEvent.objects.create(
            registration=registration, to_progress=Progress.REGISTERED, actor=applicant
        )
        queue_text(
            phone=applicant.phone.as_e164,
            text=(
                f"您已成功登记“{plan.title}”{offering.project.name}，登记编号 "
                f"{registration.number}。可在配租平台“配租记录”中查看目前进度。"
            ),
            kind=Kind.REGISTRATION,
            reference=registration.number,
        )
    return registration
