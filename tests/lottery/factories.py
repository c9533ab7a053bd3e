"""Builders for lottery tests: registrations in bulk (thousands in a second), and a plan whose
registration has ended. The applicants are real rows, but without uploads: the lottery never
looks at documents."""

import itertools
from datetime import date, datetime, timedelta

import time_machine
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


# The worked example of the tests: two sources, a lottery's numbers (a set, sorted) and a
# notary's (counted in the order drawn). Their canonical string, by hand: each number followed
# by ".", the first source's numbers ascending, each source closed by "/"; the seed is its
# SHA-256, as `printf '%s' '3.7.12.19.25.31./47.8.23.15.31./' | sha256sum` prints it.
LOTTERY_SOURCE = "中国福利彩票 双色球 第2026150期 红色球开奖号码"
NOTARY_SOURCE = "2026年12月20日 北京市方正公证处现场摇出的5个号码"
NUMBERS = [[31, 7, 19, 3, 25, 12], [47, 8, 23, 15, 31]]
CANONICAL = "3.7.12.19.25.31./47.8.23.15.31./"
SEED = "9aac0e88051f340b19832b9f36d48dc71259363859a28451c04ec8c451bfce0c"

# Draws made before seeds came from public numbers announced a source in words and took a
# typed seed.
TYPED_SEED = "08 15 23 31 47"
SEED_SOURCE = "2026年12月20日 北京市方正公证处 公开摇出的号码"


def announcements(after: datetime | None = None) -> list:
    """The two sources of the worked example, their numbers known 10 and 15 minutes after
    `after` (now)."""
    from lottery.draw import Announcement

    after = after or timezone.now()
    return [
        Announcement(LOTTERY_SOURCE, after + timedelta(minutes=15), count=6),
        Announcement(NOTARY_SOURCE, after + timedelta(minutes=10), count=5, ordered=True),
    ]


def freeze_earlier(plan: Plan, *, by: User, mode: str = "active"):
    """冻结名单 half an hour ago (registration ended an hour ago), announcing the two sources,
    so that their numbers are known now."""
    from lottery import draw as lottery

    with time_machine.travel(timezone.now() - timedelta(minutes=30), tick=False):
        return lottery.freeze(plan=plan, mode=mode, by=by, sources=announcements())


def make_frozen_draw(plan: Plan | None = None, *, count: int = 5, **freeze):
    """A plan whose registration ended, with `count` registrations and its list frozen now,
    with the two sources of the worked example announced."""
    from lottery import draw as lottery
    from tests.factories import make_user

    plan = plan or make_ended_plan()
    make_registrations(plan, count)
    fields = {"mode": "active", "by": make_user(), "sources": announcements(), **freeze}
    return lottery.freeze(plan=plan, **fields)


def make_drawn_draw(plan: Plan | None = None, *, count: int = 5):
    """As make_frozen_draw half an hour ago, then drawn now with the worked example's numbers."""
    from lottery import draw as lottery
    from tests.factories import make_user

    plan = plan or make_ended_plan()
    make_registrations(plan, count)
    frozen = freeze_earlier(plan, by=make_user())
    return lottery.draw(plan=plan, numbers=NUMBERS, by=frozen.frozen_by)


def make_typed_draw(plan: Plan | None = None, *, count: int = 5, drawn: bool = True):
    """A draw as lists were frozen before seeds came from public numbers (seed rule "typed"):
    the source announced in words, the seed typed at the draw. Built row by row as the freeze
    of that time did, since freeze() now always announces sources."""
    from lottery import draw as lottery
    from lottery import verify
    from lottery.models import Draw, SeedRule
    from tests.factories import make_user

    plan = plan or make_ended_plan()
    registrations = make_registrations(plan, count)
    codes = lottery.new_entry_codes(count)
    staff = make_user()
    draw = Draw.objects.create(
        plan=plan,
        eligibility="active",
        groups=lottery.groups_of(plan)[0],
        entry_count=count,
        list_sha256=verify.list_hash(codes),
        algorithm=verify.ALGORITHM,
        seed_rule=SeedRule.TYPED,
        announced_seed_source=SEED_SOURCE,
        frozen_at=timezone.now(),
        frozen_by=staff,
    )
    rows = [(r.pk, code, 1) for r, code in zip(registrations, codes, strict=True)]
    lottery.insert_entries(draw, rows)
    if not drawn:
        return draw
    return lottery.draw_with_typed_seed(
        plan=plan, seed=TYPED_SEED, seed_source=SEED_SOURCE, by=staff
    )


def make_plan_manager(**overrides):
    """A 配租管理员 with the rights the data migrations give the group. Made here rather than
    fetched: a transactional test (browser tests) may run after another emptied the tables."""
    from django.contrib.auth.models import Group, Permission

    from tests.factories import make_staff

    group, _ = Group.objects.get_or_create(name="配租管理员")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="plans", codename__endswith="_plan"),
        *Permission.objects.filter(content_type__app_label="lottery"),
    )
    user = make_staff(**overrides)
    user.groups.add(group)
    return user
