"""Applicants for a load test of the opening minutes (`make loadtest`), in bulk.

`manage.py seed_load --applicants 10000 --out var/loadtest/applicants.json` makes that many
applicants with a verified real name, a submitted 信息填报 that passes the screening of the plan
registering now, and a signed-in session each, without SMS or captcha, and writes the plan,
its projects and the session keys to the file the Locust scenario reads. Ten thousand take a
few seconds: rows go in with bulk_create, a thousand at a time.

For a load test's own database only: the applicants have made-up phone numbers (+86 136…) and
the command refuses to run with DEBUG off unless --yes-this-is-a-load-test-database is given.
"""

import json
import secrets
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import consent
from accounts.idcard import check_character
from accounts.middleware import LOGIN_AT, SEEN_AT
from accounts.models import Consent, User
from applications.models import ApplicationInfo, new_reference
from plans.models import Plan

PHONE_PREFIX = "+86136"
BATCH = 1000


class Command(BaseCommand):
    help = "为压力测试批量准备已实名、已填报、已登录的申请人（仅限压测数据库）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--applicants", type=int, default=10_000)
        parser.add_argument("--out", type=Path, default=Path(settings.VAR_DIR) / "loadtest.json")
        parser.add_argument("--yes-this-is-a-load-test-database", action="store_true")

    def handle(self, *args, applicants: int, out: Path, **options) -> None:
        if not settings.DEBUG and not options["yes_this_is_a_load_test_database"]:
            raise CommandError("只能在压测数据库上运行：请加 --yes-this-is-a-load-test-database。")
        plan = Plan.objects.open_for_registration().order_by("registration_starts_at").first()
        if plan is None:
            raise CommandError("没有正在登记的配租计划：请先运行 manage.py seed_demo。")
        started = time.perf_counter()
        with transaction.atomic():
            users = _applicants(applicants)
            _consents(users)
            _infos(users, plan)
            sessions = _sessions(users)
        out.parent.mkdir(parents=True, exist_ok=True)
        offerings = list(plan.plan_projects.values_list("pk", "project_id"))
        out.write_text(
            json.dumps(
                {
                    "plan": plan.pk,
                    "offerings": [{"id": pk, "project": project} for pk, project in offerings],
                    "floor_plans": [
                        [project.pk, floor_plan.pk]
                        for project in plan.projects.all()
                        for floor_plan in project.floor_plans.all()
                    ],
                    "session_cookie": settings.SESSION_COOKIE_NAME,
                    "sessions": sessions,
                }
            )
        )
        self.stdout.write(
            f"{len(users)} 位申请人已就绪（{time.perf_counter() - started:.1f} 秒），"
            f"登记计划 #{plan.pk}，会话写入 {out}。"
        )


def _applicants(count: int) -> list[User]:
    """New applicants, 22 to 34 years old today, with valid and distinct ID numbers."""
    start = User.objects.filter(phone__startswith=PHONE_PREFIX).count()
    today = timezone.localdate()
    now = timezone.now()
    users = []
    for n in range(start, start + count):
        birth = today - timedelta(days=22 * 366 + n % 4000)
        # 110108 (海淀区) is no area code the demo's or the tests' people have.
        first17 = f"110108{birth:%Y%m%d}{(n // 4000) * 2 + 1:03d}"
        number = first17 + check_character(first17)
        user = User(
            phone=f"{PHONE_PREFIX}{n:08d}",
            password="!" + secrets.token_urlsafe(16),  # unusable: applicants sign in by SMS
        )
        user.set_real_name(name="压测申请人", id_number=number, verified_at=now)
        users.append(user)
    return User.objects.bulk_create(users, batch_size=BATCH)


def _infos(users: list[User], plan: Plan) -> None:
    district = (plan.employer_districts or ["chaoyang"])[0]
    ApplicationInfo.objects.bulk_create(
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
                employer_district=district,
                contribution_months=24,
                housing_status="none",
                education="bachelor" if plan.asks_education else "",
                graduation_date=timezone.localdate() - timedelta(days=365)
                if plan.asks_education
                else None,
                emergency_contact_name="李四",
                emergency_contact_phone="13700000001",
            )
            for user in users
        ],
        batch_size=BATCH,
    )


def _consents(users: list[User]) -> None:
    """Agreement to the 个人信息处理规则 and the separate consent, as sign-up and 实名 gave."""
    number = consent.current().number
    Consent.objects.bulk_create(
        (Consent(user=user, kind=kind, version=number) for user in users for kind in consent.Kind),
        batch_size=BATCH,
    )


def _sessions(users: list[User]) -> list[str]:
    """A signed-in session per applicant, as if each had just logged in."""
    now = time.time()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    store = SessionStore()
    rows = [
        Session(
            session_key=secrets.token_hex(16),
            session_data=store.encode(
                {
                    SESSION_KEY: str(user.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: user.get_session_auth_hash(),
                    LOGIN_AT: now,
                    SEEN_AT: now,
                    consent.SESSION_KEY: consent.current().number,
                }
            ),
            expire_date=expires,
        )
        for user in users
    ]
    Session.objects.bulk_create(rows, batch_size=BATCH)
    if settings.SESSION_ENGINE.endswith("cached_db"):
        # As a login would have: the session in the cache too, not only in the database.
        from django.contrib.sessions.backends.cached_db import KEY_PREFIX

        caches[settings.SESSION_CACHE_ALIAS].set_many(
            {KEY_PREFIX + row.session_key: store.decode(row.session_data) for row in rows},
            timeout=settings.SESSION_COOKIE_AGE,
        )
    return [row.session_key for row in rows]
