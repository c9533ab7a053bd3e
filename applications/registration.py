"""配租登记: registering an applicant for one project of a plan (manual section 五)."""

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from accounts import usercache
from accounts.models import User
from applications import eligibility
from applications.models import (
    REFERENCE_ALPHABET,
    ApplicationInfo,
    HouseholdMember,
    Progress,
    Registration,
    RegistrationEvent,
    new_reference,
)
from messaging.outbox import Kind, queue_text
from plans.models import Plan, PlanProject
from rentcenter import crypto


class NotOpen(Exception):
    """Registration is possible only between the plan's start and end (server time)."""


class NoInfo(Exception):
    """Registration needs the applicant's submitted 信息填报 for the plan (manual section 五)."""


class FamilyRegistered(Exception):
    """Someone of the applicant's household is already in another active registration of the
    plan, as applicant or as family member (one family, one registration per plan)."""

    message = (
        "每个家庭只能登记一次：您本人或您填报的家庭成员已在本配租计划的另一条有效登记中"
        "（作为申请人或家庭成员），因此不能再次登记。如有疑问，请拨打技术支持电话咨询。"
    )


class RejectedFinal(Exception):
    """The plan does not let an applicant whose registration was rejected register again."""


def may_register_again(applicant: User, plan: Plan) -> bool:
    """After 审核不通过 an applicant registers again (a new registration) unless the plan says
    otherwise (Plan.allows_registering_again)."""
    if plan.allows_registering_again:
        return True
    return (
        not Registration.objects.of(applicant)
        .filter(plan=plan, progress=Progress.REJECTED)
        .exists()
    )


@dataclass(frozen=True)
class Outcome:
    registration: Registration | None
    created: bool = False
    failed_conditions: list[eligibility.Failure] = field(default_factory=list)


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
    if not may_register_again(applicant, plan):
        raise RejectedFinal
    # The family members once, for the family size rule and the household's digests.
    info = ApplicationInfo.objects.prefetch_related("family_members").latest_for(applicant, plan)
    if info is None:
        raise NoInfo
    failed = eligibility.failures(plan=plan, info=info, today=today or timezone.localdate())
    if failed:
        existing = _active(applicant, plan)
        return _duplicate(existing) if existing else Outcome(None, failed_conditions=failed)
    for _attempt in range(3):
        try:
            registration = _create(applicant, plan, offering, info)
            return Outcome(registration, created=True)
        except IntegrityError:
            existing = _active(applicant, plan)
            if existing:
                return _duplicate(existing)
            # Otherwise two registrations drew the same random number: draw again.
    raise RuntimeError("could not find a free registration number")


@dataclass(frozen=True)
class PlansState:
    """What one applicant has done for some plans: the plans whose 信息填报 they submitted,
    their registration (not cancelled) in each plan they registered for, and the 不通过原因 of
    the plans where that registration was rejected."""

    submitted: frozenset[int]
    registered: dict[int, str]  # plan id → 目前进度
    rejected: dict[int, str] = field(default_factory=dict)  # plan id → 不通过原因
    latest_info: dict[int, int] = field(default_factory=dict)  # plan id → latest form's id

    def data(self) -> tuple:
        return (sorted(self.submitted), self.registered, self.rejected, self.latest_info)

    @classmethod
    def from_data(cls, data: tuple) -> "PlansState":
        submitted, registered, rejected, latest_info = data
        return cls(frozenset(submitted), registered, rejected, latest_info)

    def of(self, plan_ids: Iterable[int]) -> "PlansState":
        """The same, for these plans only."""
        ids = set(plan_ids)
        return PlansState(
            submitted=self.submitted & ids,
            registered={k: v for k, v in self.registered.items() if k in ids},
            rejected={k: v for k, v in self.rejected.items() if k in ids},
            latest_info={k: v for k, v in self.latest_info.items() if k in ids},
        )

    def may_register(self, plan_id: int) -> bool:
        """Submitted the plan's form and holds no registration but, perhaps, a rejected one."""
        progress = self.registered.get(plan_id, Progress.REJECTED)
        return plan_id in self.submitted and progress == Progress.REJECTED


NO_STATE = PlansState(frozenset(), {})


def plans_state(applicant: User, plan_ids: Iterable[int]) -> PlansState:
    """For the buttons of every page that lists plans: the applicant's state in every plan,
    from their cache entry (accounts/usercache.py: dropped by any change of their forms or
    registrations) or one indexed query, narrowed to these plans."""
    plan_ids = list(plan_ids)
    if not plan_ids:
        return NO_STATE
    # Kept as plain data (accounts/usercache.py keeps no class of ours).
    kept = usercache.remembered(applicant, "plans_state", lambda: _plans_state(applicant).data())
    return PlansState.from_data(kept).of(plan_ids)


def _plans_state(applicant: User) -> PlansState:
    """Written in SQL because it runs on every signed-in view of the home page that the cache
    does not answer, where the ORM's building of a UNION cost three times the query itself."""
    infos, registrations = ApplicationInfo._meta.db_table, Registration._meta.db_table
    # Table names come from the models; every value is a parameter.
    sql = " ".join(
        [
            f"SELECT plan_id, '', '', MAX(id) FROM {infos}",  # noqa: S608
            "WHERE applicant_id = %s GROUP BY plan_id",
            f"UNION SELECT plan_id, progress, rejection_reason, id FROM {registrations}",  # noqa: S608
            "WHERE applicant_id = %s AND progress <> %s",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [applicant.pk, applicant.pk, Progress.CANCELLED])
        rows = cursor.fetchall()
    registered: dict[int, str] = {}
    rejected: dict[int, str] = {}
    # Oldest first: the active registration (at most one a plan) outranks the rejected ones,
    # and of those the latest reason is the one to show.
    for plan_id, progress, reason, _ in sorted(rows, key=lambda row: row[3]):
        if progress == Progress.REJECTED:
            rejected[plan_id] = reason
            registered.setdefault(plan_id, progress)
        elif progress:
            registered[plan_id] = progress
    return PlansState(
        submitted=frozenset(plan_id for plan_id, progress, *_ in rows if not progress),
        latest_info={plan_id: info_id for plan_id, progress, _, info_id in rows if not progress},
        registered=registered,
        rejected={
            plan_id: reason
            for plan_id, reason in rejected.items()
            if registered[plan_id] == Progress.REJECTED
        },
    )


# What the plans' pages read of the screening, by these names only (the rooms point one way).
SCREENING_FIELDS = eligibility.PLAN_FIELDS


def progress_of(value: str) -> Progress | None:
    """目前进度 as plans_state gives it (a stored value, or "" for none), for templates."""
    return Progress(value) if value else None


def unmet_rules(
    applicant: User, plans: dict[int, Plan], today: date, latest_info: dict[int, int]
) -> dict[int, tuple[tuple[str, bool], ...]]:
    """您目前不满足: for each plan (its screening fields set), the rules the applicant's latest
    submitted form for it (`latest_info`, from plans_state) fails, as (sentence, fixable by
    editing the form).

    A submitted version never changes, so the answer for one version, one set of rules and one
    day is kept in the shared cache: a signed-in visitor's pages cost a cache read, and one
    query for the forms only when a version, a rule or the day is new."""
    keys = {
        plan_id: _unmet_key(latest_info[plan_id], plan, today)
        for plan_id, plan in plans.items()
        if plan_id in latest_info
    }
    kept = cache.get_many(list(keys.values())) if keys else {}
    unmet = {plan_id: kept[key] for plan_id, key in keys.items() if key in kept}
    missing = [plan_id for plan_id in keys if plan_id not in unmet]
    if missing:
        infos = ApplicationInfo.objects.latest_by_plan(applicant, missing)
        found = {
            plan_id: tuple(
                (failure.sentence, failure.fixable)
                for failure in eligibility.failures(
                    plan=plans[plan_id], info=infos[plan_id], today=today
                )
            )
            for plan_id in missing
            if plan_id in infos
        }
        cache.set_many({keys[plan_id]: value for plan_id, value in found.items()}, UNMET_SECONDS)
        unmet.update(found)
    return unmet


def real_name_unmet(
    person: User, plans: dict[int, Plan], today: date
) -> dict[int, tuple[tuple[str, bool], ...]]:
    """您目前不满足 before any form: for each plan (its screening fields set), the rules decided
    on the person's 实名 data (age) that they fail, as unmet_rules gives them. No query: the
    birth date is on the signed-in user."""
    if not person.has_real_name:
        return {}
    found = {
        plan_id: tuple(
            (failure.sentence, failure.fixable)
            for failure in eligibility.real_name_failures(plan=plan, person=person, today=today)
        )
        for plan_id, plan in plans.items()
    }
    return {plan_id: unmet for plan_id, unmet in found.items() if unmet}


# A day at most: the day is part of the key (ages and graduation limits move with it).
UNMET_SECONDS = 24 * 3600


def _unmet_key(info_id: int, plan: Plan, today: date) -> str:
    rules = repr(tuple(getattr(plan, name) for name in eligibility.PLAN_FIELDS))
    digest = hashlib.sha256(rules.encode()).hexdigest()[:16]
    return f"unmet:{info_id}:{digest}:{today.isoformat()}"


@dataclass(frozen=True)
class Held:
    """An applicant's registration that holds their place in a plan (neither cancelled nor
    rejected): what 项目详情 shows where 立即登记 was."""

    number: str
    progress: Progress
    project_id: int
    project_name: str


def held_registrations(applicant: User, plan_ids: Iterable[int]) -> dict[int, Held]:
    """plan id → the applicant's active registration in it (at most one a plan, a database
    constraint): one query on the applicant's own rows."""
    rows = (
        Registration.objects.of(applicant)
        .active()
        .filter(plan_id__in=list(plan_ids))
        .values_list(
            "plan_id", "number", "progress", "offering__project_id", "offering__project__name"
        )
    )
    return {row[0]: Held(row[1], Progress(row[2]), row[3], row[4]) for row in rows}


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


def household_digests(applicant: User, info: ApplicationInfo) -> dict[str, bool]:
    """The keyed digests of the household's ID numbers → whether it is the applicant's."""
    digests = {applicant.id_number_digest: True}
    for member in info.family_members.all():
        digests.setdefault(crypto.digest(member.id_number), False)
    return digests


def _claim_household(registration: Registration, applicant: User, info: ApplicationInfo) -> None:
    """Write the household's rows; the partial unique index refuses a person already in
    another active registration of the plan (on PostgreSQL the second of two simultaneous
    claims waits for the first and then fails)."""
    rows = [
        HouseholdMember(
            registration=registration,
            plan_id=registration.plan_id,
            id_number_digest=digest,
            is_applicant=is_applicant,
        )
        for digest, is_applicant in household_digests(applicant, info).items()
    ]
    try:
        # No savepoint of its own: a refusal ends the registration's transaction anyway.
        HouseholdMember.objects.bulk_create(rows)
    except IntegrityError:
        raise FamilyRegistered from None


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
        _claim_household(registration, applicant, info)
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
