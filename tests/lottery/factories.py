"""Builders for lottery tests: registrations in bulk (thousands in a second), and a plan whose
registration has ended. The applicants are real rows, but without uploads: the lottery never
looks at documents."""

import itertools
from datetime import date, timedelta

from django.utils import timezone

from accounts.idcard import Sex
from accounts.models import User
from applications.models import ApplicationInfo, Progress, Registration
from plans.models import Plan, PlanProject
from rentcenter import crypto
from tests.factories import INFO_FIELDS, id_number_for, make_plan

_serial = itertools.count(1)


def make_ended_plan(**overrides) -> Plan:
    """A published plan whose registration ended an hour ago."""
    ends = timezone.now() - timedelta(hours=1)
    return make_plan(starts=ends - timedelta(days=7), ends=ends, **overrides)


def make_registrations(
    plan: Plan,
    count: int,
    *,
    progress: str = Progress.REGISTERED,
    offering: PlanProject | None = None,
    applicant: User | None = None,
) -> list[Registration]:
    """`count` registrations for one project of the plan, in a few queries: of new applicants,
    or (count=1) of `applicant`."""
    offering = offering or plan.plan_projects.first()
    serials = [next(_serial) for _ in range(count)]
    birth = date(1995, 3, 14)
    encrypted_id = crypto.encrypt(id_number_for(birth))
    if applicant:
        users = [applicant] * count
    else:
        users = User.objects.bulk_create(
            [User(phone=f"+86137{n:08d}", real_name="王五", sex=Sex.MALE) for n in serials],
            batch_size=1000,
        )
    infos = ApplicationInfo.objects.bulk_create(
        [
            ApplicationInfo(
                applicant=user,
                plan=plan,
                version=1,
                reference=f"TB{serial:012d}",
                real_name="王五",
                id_number_encrypted=encrypted_id,
                sex=Sex.MALE,
                birth_date=birth,
                **INFO_FIELDS,
            )
            for user, serial in zip(users, serials, strict=True)
        ],
        batch_size=1000,
    )
    reason = "不符合条件" if progress == Progress.REJECTED else ""
    return Registration.objects.bulk_create(
        [
            Registration(
                number=f"PZ{serial:012d}",
                applicant=user,
                plan=plan,
                offering=offering,
                info=info,
                progress=progress,
                rejection_reason=reason,
                verification_code=f"V{serial:012d}",
            )
            for user, info, serial in zip(users, infos, serials, strict=True)
        ],
        batch_size=1000,
    )


SEED = "08 15 23 31 47"
SEED_SOURCE = "2026年12月20日 北京市方正公证处 公开摇出的号码"


def make_frozen_draw(plan: Plan | None = None, *, count: int = 5, **freeze):
    """A plan whose registration ended, with `count` registrations and its list frozen."""
    from lottery import draw as lottery
    from tests.factories import make_user

    plan = plan or make_ended_plan()
    make_registrations(plan, count)
    fields = {"mode": "active", "by": make_user(), "seed_source": SEED_SOURCE, **freeze}
    return lottery.freeze(plan=plan, **fields)


def make_drawn_draw(plan: Plan | None = None, *, count: int = 5, seed: str = SEED):
    """As make_frozen_draw, then drawn with `seed`."""
    from lottery import draw as lottery

    frozen = make_frozen_draw(plan, count=count)
    return lottery.draw(plan=frozen.plan, seed=seed, seed_source=SEED_SOURCE, by=frozen.frozen_by)


def make_plan_manager():
    """A 配租管理员 with the rights the data migrations give the group. Made here rather than
    fetched: a transactional test (browser tests) may run after another emptied the tables."""
    from django.contrib.auth.models import Group, Permission

    from tests.factories import make_staff

    group, _ = Group.objects.get_or_create(name="配租管理员")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="plans", codename__endswith="_plan"),
        *Permission.objects.filter(content_type__app_label="lottery"),
    )
    user = make_staff()
    user.groups.add(group)
    return user
