"""A plan in 选房 for the load test (`make loadtest`, benchmarks/allocation.py), in bulk.

`manage.py seed_choosing --entrants 200 --homes 100 --out var/loadtest/choosing.json` makes a
plan whose registration has ended, with that many signed-in entrants registered for one
project (made-up phones +86 135…), its draw, that many homes, every entrant passed 资格复核 and
a session starting now, and writes the plan, the entrants in 顺序号 order (registration number
and session key) and the homes to the file the scenario reads.

For a load test's own database only: it refuses to run with DEBUG off unless
--yes-this-is-a-load-test-database is given.
"""

import json
import secrets
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.idcard import check_character
from accounts.models import User
from allocation import turns
from allocation.demo import draw_plan
from allocation.models import Home, Recheck
from applications.management.commands.seed_load import _sessions
from applications.models import ApplicationInfo, Progress, Registration, new_reference
from lottery.models import Entry
from plans.models import Plan, PlanProject
from projects.models import Project, RentItem

PHONE_PREFIX = "+86135"
BATCH = 1000


class Command(BaseCommand):
    help = "为选房压力测试准备一个正在选房的配租计划（仅限压测数据库）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--entrants", type=int, default=200)
        parser.add_argument("--homes", type=int, default=100)
        parser.add_argument("--minutes", type=int, default=2, help="每人选房时间（分钟）")
        parser.add_argument("--out", type=Path, default=Path(settings.VAR_DIR) / "choosing.json")
        parser.add_argument("--yes-this-is-a-load-test-database", action="store_true")

    def handle(self, *args, entrants: int, homes: int, minutes: int, out: Path, **options):
        if not settings.DEBUG and not options["yes_this_is_a_load_test_database"]:
            raise CommandError("只能在压测数据库上运行：请加 --yes-this-is-a-load-test-database。")
        project = Project.objects.order_by("pk").first()
        item = RentItem.objects.filter(project=project).order_by("pk").first()
        if item is None:
            raise CommandError("没有项目和房型租金：请先运行 manage.py seed_demo。")
        started = time.perf_counter()
        now = timezone.now()
        with transaction.atomic():
            staff = User.objects.create_user(
                f"{PHONE_PREFIX}99999999", secrets.token_urlsafe(16), is_staff=True
            )
            plan = Plan.objects.create(
                title=f"选房压测计划 {timezone.localtime(now):%H%M%S}",
                status=Plan.Status.PUBLISHED,
                info_opens_at=now - timedelta(days=20),
                registration_starts_at=now - timedelta(days=10),
                registration_ends_at=now - timedelta(days=3),
            )
            offering = PlanProject.objects.create(plan=plan, project=project, homes=homes)
            users = _entrants(entrants)
            _registrations(users, plan, offering)
            draw_plan(plan, staff)
            _homes(offering, item, homes, staff)
            _passed(plan, staff, now)
            turns.set_session(
                plan=plan,
                group=1,
                starts_at=now,
                ends_at=now + timedelta(hours=12),
                minutes=minutes,
                sign_by=now + timedelta(days=7),
                by=staff,
            )
            sessions = dict(zip((u.pk for u in users), _sessions(users), strict=True))
        order = (
            Entry.objects.filter(draw__plan=plan)
            .order_by("position")
            .values_list("registration__number", "registration__applicant_id")
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "plan": plan.pk,
                    "session_cookie": settings.SESSION_COOKIE_NAME,
                    "entrants": [
                        {"number": number, "session": sessions[user]} for number, user in order
                    ],
                    "homes": [
                        {"id": pk, "label": Home(building=b, unit=u, number=n).label}
                        for pk, b, u, n in Home.objects.filter(offering=offering)
                        .order_by("pk")
                        .values_list("pk", "building", "unit", "number")
                    ],
                }
            )
        )
        self.stdout.write(
            f"选房压测：计划 #{plan.pk}，{entrants} 人，{homes} 套房源"
            f"（{time.perf_counter() - started:.1f} 秒），写入 {out}。"
        )


def _entrants(count: int) -> list[User]:
    start = User.objects.filter(phone__startswith=PHONE_PREFIX).count()
    today = timezone.localdate()
    now = timezone.now()
    users = []
    for n in range(start, start + count):
        birth = today - timedelta(days=23 * 366 + n % 4000)
        # 110109 (门头沟区): no area code the demo's, the tests' or seed_load's people have.
        first17 = f"110109{birth:%Y%m%d}{(n // 4000) * 2 + 1:03d}"
        user = User(phone=f"{PHONE_PREFIX}{n:08d}", password="!" + secrets.token_urlsafe(16))
        user.set_real_name(
            name="选房压测", id_number=first17 + check_character(first17), verified_at=now
        )
        users.append(user)
    return User.objects.bulk_create(users, batch_size=BATCH)


def _registrations(users: list[User], plan: Plan, offering: PlanProject) -> None:
    infos = ApplicationInfo.objects.bulk_create(
        [
            ApplicationInfo(
                applicant=user,
                plan=plan,
                version=1,
                reference=new_reference("TB", length=8),
                real_name=user.real_name,
                id_number_encrypted=user.id_number_encrypted,
                sex=user.sex,
                birth_date=user.birth_date,
                marital_status="unmarried",
                hukou_type="other",
                hukou_location="河北省石家庄市",
                current_address="北京市朝阳区望京西路1号",
                employer="北京压测科技有限公司",
                employer_district="chaoyang",
                contribution_months=24,
                housing_status="none",
                emergency_contact_name="李四",
                emergency_contact_phone="13700000001",
            )
            for user in users
        ],
        batch_size=BATCH,
    )
    Registration.objects.bulk_create(
        [
            Registration(
                number=new_reference("PZ", length=8),
                applicant=user,
                plan=plan,
                offering=offering,
                info=info,
                progress=Progress.APPROVED,
                verification_code=secrets.token_hex(6).upper(),
            )
            for user, info in zip(users, infos, strict=True)
        ],
        batch_size=BATCH,
    )


def _homes(offering: PlanProject, item: RentItem, count: int, staff: User) -> None:
    Home.objects.bulk_create(
        [
            Home(
                offering=offering,
                rent_item=item,
                building=str(1 + n // 100),
                unit=str(1 + (n // 10) % 10),
                floor=1 + n % 10,
                number=f"{1 + n % 10}{n % 100:02d}",
                area=item.area + Decimal(n % 5) / 10,
                orientation="南北",
                monthly_rent=item.monthly_rent,
                bedrooms=1,
                imported_by=staff,
            )
            for n in range(count)
        ],
        batch_size=BATCH,
    )


def _passed(plan: Plan, staff: User, now) -> None:
    """Everyone passed 资格复核, written in bulk (no texts: made-up people)."""
    Recheck.objects.bulk_create(
        [
            Recheck(
                entry=entry,
                registration_id=entry.registration_id,
                plan=plan,
                group=entry.group,
                position=entry.position,
                state=Recheck.State.PASSED,
                called_at=now,
                called_by=staff,
                decided_at=now,
                decided_by=staff,
            )
            for entry in Entry.objects.filter(draw__plan=plan)
        ],
        batch_size=BATCH,
    )
