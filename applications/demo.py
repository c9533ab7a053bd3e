"""Demo applicants and registrations for a local site (seed_demo), so that 配租记录, the review
pages and the dashboard have something to show. Idempotent: applicants are found by phone, and
a plan that already has registrations is left as it is."""

import io
import random
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts import consent
from accounts.idcard import check_character
from accounts.models import User
from applications import documents
from applications.models import (
    ApplicationInfo,
    DocumentKind,
    FamilyMember,
    Progress,
    Registration,
    RegistrationEvent,
    new_reference,
)
from applications.registration import register
from plans.models import Plan, PlanProject
from rentcenter import crypto, pagecache

APPLICANT_PHONES = [f"1390000{n:04d}" for n in range(1, 37)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
]
EMPLOYERS = [
    ("北京望京数字科技有限公司", "chaoyang"),
    ("北京丰台智造有限公司", "fengtai"),
    ("北京中关村软件服务有限公司", "haidian"),
    ("北京副中心商务咨询有限公司", "tongzhou"),
]
REQUIRED = [
    DocumentKind.ID_FRONT,
    DocumentKind.ID_BACK,
    DocumentKind.HUKOU,
    DocumentKind.EMPLOYMENT,
    DocumentKind.CONTRIBUTIONS,
]


def seed_registrations(*, open_plan: Plan, closed_plan: Plan) -> int:
    """Run with SMS_BACKEND=locmem: demo people have made-up numbers (seed_demo does so)."""
    existing = Registration.objects.filter(plan__in=[open_plan, closed_plan])
    if existing.exists():
        return existing.count()
    dice = random.Random(20261126)  # noqa: S311 - demo data, not secrets
    people = [_applicant(phone, index, dice) for index, phone in enumerate(APPLICANT_PHONES)]
    count = 0
    for index, person in enumerate(people[:30]):
        _info(person, open_plan, dice)
        offering = dice.choice(list(open_plan.plan_projects.all()))
        registration = register(applicant=person, plan=open_plan, offering=offering).registration
        if registration is None:
            continue
        # Spread the registrations over the days the window has been open.
        when = open_plan.registration_starts_at + timedelta(minutes=dice.randint(0, 2 * 24 * 60))
        Registration.objects.filter(pk=registration.pk).update(created_at=min(when, timezone.now()))
        registration.events.update(created_at=min(when, timezone.now()))
        _review(registration, index, open_plan)
        count += 1
    for person in people[20:36]:
        count += _closed_registration(person, closed_plan, dice)
    return count


def move_window(plan: Plan, *, by: timedelta, now: datetime) -> None:
    """Move a demo plan's dates, its announcements and its registrations' times together, so
    that a demo seeded weeks ago has a plan registering today again. Registrations made later
    in the day than `now` is stay in the past: at `now`."""
    Plan.objects.filter(pk=plan.pk).update(
        info_opens_at=F("info_opens_at") + by,
        registration_starts_at=F("registration_starts_at") + by,
        registration_ends_at=F("registration_ends_at") + by,
    )
    plan.refresh_from_db()
    plan.announcements.update(published_at=F("published_at") + by)
    pagecache.catalogue_changed()  # update() sends no post_save
    registrations = Registration.objects.filter(plan=plan)
    registrations.update(created_at=Least(F("created_at") + by, Value(now)))
    RegistrationEvent.objects.filter(registration__in=registrations).update(
        created_at=Least(F("created_at") + by, Value(now))
    )


def _applicant(phone: str, index: int, dice: random.Random) -> User:
    user = User.objects.filter(phone=f"+86{phone}").first()
    if user:
        return user
    user = User.objects.create_user(phone)
    # 22 to 34 years old today, so that the age rules of the demo plans hold in any year.
    born = timezone.localdate() - timedelta(days=dice.randint(22 * 366, 34 * 365))
    first17 = f"110105{born:%Y%m%d}{(index * 2 + 1) % 1000:03d}"
    name = dice.choice(SURNAMES) + "".join(dice.sample(GIVEN, 2 if index % 3 else 1))
    # As sign-up and 基本信息 would have had them: the rules agreed to, the separate consent.
    consent.record(user=user, kinds=list(consent.Kind), address=None)
    user.set_real_name(
        name=name, id_number=first17 + check_character(first17), verified_at=timezone.now()
    )
    user.save()
    return user


def _document_photo(kind: str, name: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (600, 400), (246, 244, 238))
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, 580, 380], outline=(120, 120, 120), width=4)
    for y in range(80, 350, 40):
        draw.line([(50, y), (550, y)], fill=(170, 170, 170), width=6)
    draw.rectangle([420, 60, 550, 200], fill=(200, 214, 230))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(f"{name}.jpg", buffer.getvalue())


def _info(person: User, plan: Plan, dice: random.Random) -> ApplicationInfo:
    proofs = [
        documents.store(
            owner_id=person.pk,
            kind=kind,
            upload=_document_photo(kind, DocumentKind(kind).label),
            budget_used=0,
        )
        for kind in REQUIRED
    ]
    employer, district = dice.choice(EMPLOYERS)
    married = dice.random() < 0.3
    info = ApplicationInfo.objects.create(
        applicant=person,
        plan=plan,
        version=1,
        reference=new_reference("TB"),
        real_name=person.real_name,
        id_number_encrypted=crypto.encrypt(person.id_number),
        sex=person.sex,
        birth_date=person.birth_date,
        marital_status="married" if married else "unmarried",
        hukou_type=dice.choice(["beijing", "other"]),
        hukou_location=dice.choice(
            ["北京市朝阳区", "河北省保定市", "山东省济南市", "河南省郑州市"]
        ),
        current_address=f"北京市{dice.choice(['朝阳区', '海淀区'])}某街道{dice.randint(1, 99)}号",
        employer=employer,
        employer_district=district,
        contribution_months=dice.randint(6, 96),
        housing_status="none",
        emergency_contact_name="家属",
        emergency_contact_phone=f"1370000{dice.randint(1000, 9999)}",
    )
    info.documents.set(proofs)
    if married:
        first17 = f"130602{person.birth_date:%Y%m%d}{dice.randint(100, 499) * 2:03d}"
        FamilyMember.objects.create(
            info=info,
            name="配偶" + person.real_name[-1],
            relation="spouse",
            id_number_encrypted=crypto.encrypt(first17 + check_character(first17)),
        )
    return info


def _review(registration: Registration, index: int, plan: Plan) -> None:
    """A few decisions, so the review pages and 配租记录 show every 目前进度."""
    reviewer = User.objects.filter(groups__name="资格审核员").first()
    if index % 5 == 0:
        registration.start_review(by=reviewer)
    elif index % 5 == 1:
        registration.start_review(by=reviewer)
        registration.approve(by=reviewer)
    elif index % 5 == 2 and index > 5:
        registration.start_review(by=reviewer)
        registration.reject(by=reviewer, reason=plan.preset_rejection_reasons[0])
    elif index == 3:
        registration.cancel(by=registration.applicant)


def _closed_registration(person: User, plan: Plan, dice: random.Random) -> int:
    """The closed plan's window is over, so its registrations are written as they stood."""
    info = _info(person, plan, dice)
    offering: PlanProject = dice.choice(list(plan.plan_projects.all()))
    when = plan.registration_starts_at + timedelta(hours=dice.randint(1, 200))
    registration = Registration.objects.create(
        number=new_reference("PZ"),
        applicant=person,
        plan=plan,
        offering=offering,
        info=info,
        progress=Progress.APPROVED,
        verification_code=crypto.digest(f"demo-{person.pk}-{plan.pk}")[:12],
        created_at=when,
    )
    RegistrationEvent.objects.bulk_create(
        [
            RegistrationEvent(
                registration=registration, to_progress=Progress.REGISTERED, created_at=when
            ),
            RegistrationEvent(
                registration=registration,
                from_progress=Progress.REGISTERED,
                to_progress=Progress.REVIEWING,
                created_at=when + timedelta(days=5),
            ),
            RegistrationEvent(
                registration=registration,
                from_progress=Progress.REVIEWING,
                to_progress=Progress.APPROVED,
                created_at=when + timedelta(days=8),
            ),
        ]
    )
    return 1
