"""A plan in 选房 for the demo site (seed_demo): the closed demo plan drawn, its homes, entrants
who passed 资格复核, a session running now with a few turns done, and 签约 slots, so that
`make run` shows the 选房大厅 and a live queue. Idempotent: each part is made once; a session
that has ended (a demo seeded hours ago) is followed by a new one for those still waiting."""

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from allocation import choosing, recheck, turns
from allocation.homes import bedrooms_of
from allocation.models import ChoosingPolicy, Home, Recheck, SigningSlot
from lottery import draw as lottery
from lottery.models import Draw, Eligibility, SeedRule, SeedSource
from lottery.verify import ALGORITHM, entry_line, list_hash
from plans.models import Plan

HOMES_PER_ITEM = 3
CALLED, PASSED = 12, 10
NOTARY = "演示：北京市方正公证处现场摇出的5个号码"
NOTARY_NUMBERS = [47, 8, 23, 15, 31]


def seed(plan: Plan, *, staff: User, now: datetime) -> str:
    """Make `plan` a plan in 选房; a line saying what there is."""
    draw_plan(plan, staff)
    ChoosingPolicy.objects.get_or_create(plan=plan, defaults={"bedrooms_by_household": True})
    _homes(plan, staff)
    _rechecks(plan, staff)
    session = _session(plan, staff, now)
    _slots(plan, session.sign_by if session else now + timedelta(days=7))
    queue = turns.snapshot(session, now) if session else None
    current = (
        f"正在选房：顺序号第 {queue.current_position} 号"
        if queue and queue.current_position
        else ""
    )
    homes = Home.objects.filter(offering__plan=plan).count()
    return f"选房演示：{plan.title}，{homes} 套房源，选房大厅 /plans/{plan.pk}/hall/。{current}"


def draw_plan(plan: Plan, staff: User) -> None:
    """冻结名单 the day after registration ended, a notary's numbers known an hour later, drawn."""
    if Draw.objects.filter(plan=plan).exists():
        return
    frozen_at = plan.registration_ends_at + timedelta(days=1)
    groups, group_of = lottery.groups_of(plan)
    registrations = list(
        lottery.eligible_registrations(plan, Eligibility.ACTIVE)
        .order_by("pk")
        .values_list("pk", "offering_id")
    )
    codes = lottery.new_entry_codes(len(registrations))
    secrets.SystemRandom().shuffle(codes)
    rows = [
        (pk, code, group_of[offering])
        for (pk, offering), code in zip(registrations, codes, strict=True)
    ]
    draw = Draw.objects.create(
        plan=plan,
        eligibility=Eligibility.ACTIVE,
        groups=groups,
        entry_count=len(rows),
        list_sha256=list_hash([entry_line(code, group, grouped=False) for _, code, group in rows]),
        algorithm=ALGORITHM,
        seed_rule=SeedRule.RFC3797,
        frozen_at=frozen_at,
        frozen_by=staff,
    )
    SeedSource.objects.create(
        draw=draw,
        position=1,
        name=NOTARY,
        known_at=frozen_at + timedelta(hours=1),
        count=len(NOTARY_NUMBERS),
        ordered=True,
    )
    lottery.insert_entries(draw, rows)
    lottery.draw(plan=plan, numbers=[NOTARY_NUMBERS], by=staff)


def _homes(plan: Plan, staff: User) -> None:
    if Home.objects.filter(offering__plan=plan).exists():
        return
    orientations = ["南北", "南", "东南", "西南"]
    for offering in plan.plan_projects.select_related("project"):
        for index, item in enumerate(offering.project.rent_items.all()):
            for number in range(HOMES_PER_ITEM):
                floor = 3 + number * 4
                Home.objects.create(
                    offering=offering,
                    rent_item=item,
                    building=str(index + 1),
                    unit=str(number % 2 + 1),
                    floor=floor,
                    number=f"{floor}{number + 1:02d}",
                    area=item.area + Decimal(number) / 10,
                    orientation=orientations[(index + number) % len(orientations)],
                    monthly_rent=item.monthly_rent + 50 * number,
                    bedrooms=bedrooms_of(item.room_type) or 1,
                    imported_by=staff,
                )


def _rechecks(plan: Plan, staff: User) -> None:
    if Recheck.objects.filter(plan=plan).exists():
        return
    called = recheck.call_next(plan=plan, group=1, count=CALLED, by=staff)
    for index, entrant in enumerate(called):
        if index < PASSED:
            recheck.decide(entrant, passed=True, by=staff)
        elif index == PASSED:
            recheck.decide(entrant, passed=False, by=staff, reason="家庭成员名下有本市住房")


def _session(plan: Plan, staff: User, now: datetime):
    latest = turns.latest_sessions(plan).get(1)
    if latest is not None and not turns.walk(latest, now).over:
        return latest
    if not turns.eligible(plan, 1).exists():
        return latest
    starts = now - timedelta(minutes=10)
    session = turns.set_session(
        plan=plan,
        group=1,
        starts_at=starts,
        ends_at=now + timedelta(hours=3),
        minutes=5,
        sign_by=now + timedelta(days=7),
        by=staff,
        now=starts,
    )
    # A few turns already done: a choice, a 放弃, a 代为选房; the fourth entrant is choosing.
    line = list(session.turns.select_related("recheck__registration__applicant"))
    steps = [(2, "choose"), (4, "give_up"), (7, "on_behalf")]
    for turn, (minute, step) in zip(line, steps, strict=False):
        entrant, at = turn.recheck, starts + timedelta(minutes=minute)
        applicant = entrant.registration.applicant
        if step == "give_up":
            choosing.give_up(recheck=entrant, by=applicant, now=at)
            continue
        homes = choosing.choosable(entrant)
        if homes:
            choosing.choose(
                recheck=entrant,
                home_id=homes[0].pk,
                by=staff if step == "on_behalf" else applicant,
                now=at,
            )
    return session


def _slots(plan: Plan, sign_by: datetime) -> None:
    if SigningSlot.objects.filter(plan=plan).exists():
        return
    day = timezone.localtime(timezone.now()).replace(hour=9, minute=0, second=0, microsecond=0)
    for offset in (1, 2, 3):
        for hour in (9, 14):
            starts = day + timedelta(days=offset, hours=hour - 9)
            if starts + timedelta(hours=2) > sign_by:
                continue
            SigningSlot.objects.create(
                plan=plan,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                place="北京保障房中心 签约大厅（朝阳区望京西路18号院）",
                capacity=5,
            )
