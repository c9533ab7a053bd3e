"""Plain builders for test data: make_x(**overrides) returns a saved object."""

import io
import itertools
import time
from binascii import unhexlify
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.oath import TOTP
from PIL import Image

from accounts import staff_otp
from accounts.models import StaffTOTPDevice, User
from plans.models import Announcement, AnnouncementAttachment, Plan, PlanProject
from projects.models import District, FloorPlan, FloorPlanPhoto, Project, ProjectPhoto, RentItem

_numbers = itertools.count(1)


def image_bytes(
    *, size: tuple[int, int] = (64, 48), fmt: str = "JPEG", color: str = "#3b7dd8", exif=None
) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB" if fmt != "PNG" else "RGBA", size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def phone_photo(*, size: tuple[int, int] = (4000, 3000), grain: int = 42, exif=None) -> bytes:
    """A JPEG like a phone's camera writes one: 12 megapixels of sensor grain at quality 97,
    about 12 MB (grain 42), with whatever EXIF it is given (orientation, GPS)."""
    channels = [Image.effect_noise(size, grain) for _ in range(3)]
    paper = Image.linear_gradient("L").resize(size)
    channels[0] = Image.blend(channels[0], paper, 0.3)
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.merge("RGB", channels).save(buffer, "JPEG", quality=97, **kwargs)
    return buffer.getvalue()


def image_upload(name: str = "photo.jpg", **kwargs) -> SimpleUploadedFile:
    fmt = kwargs.get("fmt", "JPEG")
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type=content_type)


def make_user(**overrides) -> User:
    """An account; an applicant (not staff) has agreed to the current 个人信息处理规则 and given
    its separate consent, as sign-up and 基本信息 would have had them do, unless consented=False."""
    phone = overrides.pop("phone", f"+86139{next(_numbers):08d}")
    password = overrides.pop("password", None)
    consented = overrides.pop("consented", True)
    user = User.objects.create_user(phone, password, **overrides)
    if consented and not user.is_staff:
        give_consents(user)
    return user


def give_consents(user: User) -> None:
    from accounts import consent

    consent.record(user=user, kinds=list(consent.Kind), address="127.0.0.1")


def make_project(**overrides) -> Project:
    n = next(_numbers)
    fields = {
        "name": f"测试家园{n}号院",
        "district": District.CHAOYANG,
        "address": f"北京市朝阳区测试路{n}号",
        "operator": "北京保障房中心有限公司",
        "intro": "交通便利，配套齐全。",
        "contact_phone": "010-12345678",
    }
    fields.update(overrides)
    return Project.objects.create(**fields)


def make_project_photo(project: Project, **overrides) -> ProjectPhoto:
    photo = ProjectPhoto(project=project, **overrides)
    photo.set_image(image_upload())
    photo.save()
    return photo


def make_floor_plan(project: Project, **overrides) -> FloorPlan:
    fields = {"name": "一居室A", "area": Decimal("45.50"), "bedrooms": 1}
    fields.update(overrides)
    floor_plan = FloorPlan(project=project, **fields)
    floor_plan.set_image(image_upload("layout.png", fmt="PNG"))
    floor_plan.save()
    return floor_plan


def make_floor_plan_photo(floor_plan: FloorPlan, **overrides) -> FloorPlanPhoto:
    photo = FloorPlanPhoto(floor_plan=floor_plan, **overrides)
    photo.set_image(image_upload())
    photo.save()
    return photo


def make_rent_item(project: Project, **overrides) -> RentItem:
    fields = {"room_type": "一居室", "area": Decimal("45.50"), "monthly_rent": 3200, "homes": 20}
    fields.update(overrides)
    return RentItem.objects.create(project=project, **fields)


def make_plan(
    *,
    projects: list[Project] | None = None,
    starts: datetime | None = None,
    ends: datetime | None = None,
    **overrides,
) -> Plan:
    """A published plan, registering now unless told otherwise, offering one new project."""
    now = timezone.now()
    starts = starts or now - timedelta(days=1)
    ends = ends or starts + timedelta(days=7)
    fields = {
        "title": f"2026年第{next(_numbers)}批保障性租赁住房专项配租计划",
        "status": Plan.Status.PUBLISHED,
        "info_opens_at": starts - timedelta(days=7),
        "registration_starts_at": starts,
        "registration_ends_at": ends,
    }
    fields.update(overrides)
    plan = Plan.objects.create(**fields)
    for position, project in enumerate(projects if projects is not None else [make_project()]):
        PlanProject.objects.create(plan=plan, project=project, homes=100, position=position)
    return plan


def make_announcement(plan: Plan, **overrides) -> Announcement:
    fields = {"title": f"{plan.title}公告", "body": "## 申请条件\n\n- 年满18周岁"}
    fields.update(overrides)
    return Announcement.objects.create(plan=plan, **fields)


def id_number_for(
    birth: date, *, area: str = "110105", sequence: int = 1, female: bool = False
) -> str:
    """A valid resident ID number (GB 11643-1999) for the given birth date."""
    from accounts.idcard import check_character

    order = sequence * 2 + (0 if female else 1)  # odd for men, even for women
    first17 = f"{area}{birth:%Y%m%d}{order % 1000:03d}"
    return first17 + check_character(first17)


def make_applicant(*, name: str = "张三", birth: date | None = None, **overrides) -> User:
    """A user who has passed 实名认证."""
    user = make_user(**overrides)
    born = (birth or date(1996, 5, 20)) - timedelta(days=user.pk // 500)
    number = id_number_for(born if birth is None else birth, sequence=user.pk % 500)
    user.set_real_name(name=name, id_number=number, verified_at=timezone.now())
    user.save()
    return user


INFO_FIELDS = {
    "marital_status": "unmarried",
    "hukou_type": "other",
    "hukou_location": "河北省石家庄市",
    "current_address": "北京市朝阳区望京西路1号",
    "employer": "北京测试科技有限公司",
    "employer_district": "chaoyang",
    "employer_credit_code": "",
    "contribution_months": 24,
    "housing_status": "none",
    "emergency_contact_name": "李四",
    "emergency_contact_phone": "13700000001",
    "preferred_room": "",
}


def make_document(owner: User, kind: str = "id_front", **overrides):
    from applications import documents

    upload = overrides.pop("upload", None) or image_upload(f"{kind}.jpg")
    return documents.store(owner_id=owner.pk, kind=kind, upload=upload, budget_used=0)


def make_info(applicant: User, plan: Plan, *, members=(), documents=None, **overrides):
    """A submitted 信息填报 version, the next one for this applicant and plan."""
    from applications.models import ApplicationInfo, FamilyMember, new_reference
    from rentcenter import crypto

    fields = {**INFO_FIELDS, **overrides}
    earlier = ApplicationInfo.objects.filter(applicant=applicant, plan=plan).order_by("version")
    version = earlier.count() + 1
    first = earlier.first()
    info = ApplicationInfo.objects.create(
        applicant=applicant,
        plan=plan,
        version=version,
        reference=first.reference if first else new_reference("TB", length=8),
        real_name=applicant.real_name,
        id_number_encrypted=crypto.encrypt(applicant.id_number),
        sex=applicant.sex,
        birth_date=applicant.birth_date,
        **fields,
    )
    if documents is None:
        documents = [make_document(applicant, kind) for kind in REQUIRED_KINDS]
    info.documents.set(documents)
    for position, (name, relation, number) in enumerate(members):
        FamilyMember.objects.create(
            info=info,
            name=name,
            relation=relation,
            id_number_encrypted=crypto.encrypt(number),
            position=position,
        )
    return info


REQUIRED_KINDS = ("id_front", "id_back", "hukou", "employment", "contributions")


def pdf_bytes(*, objects: tuple[bytes, ...] = (), eof: bool = True) -> bytes:
    """A small well-formed one-page PDF; `objects` are further numbered objects (4 0 obj…)."""
    bodies = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *objects,
    )
    content = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(content))
        content += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(content)
    content += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    content += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    content += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(bodies) + 1, xref)
    if eof:
        content += b"%%EOF\n"
    return bytes(content)


def pdf_upload(name: str = "contract.pdf", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(**kwargs), content_type="application/pdf")


def pdf_of_size(size: int) -> bytes:
    """A well-formed PDF padded after its end to exactly `size` bytes."""
    content = pdf_bytes()
    return content + b"\n" * (size - len(content))


def make_attachment(announcement: Announcement, **overrides) -> AnnouncementAttachment:
    content = overrides.pop("content", pdf_bytes())
    fields = {"title": "配租公告（盖章版）", "size": len(content)}
    fields.update(overrides)
    return AnnouncementAttachment.objects.create(
        announcement=announcement, file=ContentFile(content, name="notice.pdf"), **fields
    )


def make_staff(
    *, group: str | None = None, superuser: bool = False, authenticator: bool = True, **overrides
) -> User:
    """A staff account for Django admin; `group` is one of the groups the data migration made.

    It has an authenticator app (a confirmed TOTP device) unless `authenticator=False`, so that
    `client.force_login(staff)` opens admin (tests/conftest.py); tests of the second factor
    itself use `log_in_without_second_factor`."""
    user = make_user(is_staff=True, is_superuser=superuser, **overrides)
    if group:
        user.groups.add(Group.objects.get(name=group))
    if authenticator:
        give_authenticator(user)
    return user


def give_authenticator(user: User, *, key: str | None = None):
    """A confirmed authenticator app (TOTP device) for `user`, with a random key unless given."""
    return StaffTOTPDevice.objects.create(
        user=user, name=staff_otp.TOTP_DEVICE_NAME, key=key or staff_otp.new_key(), confirmed=True
    )


def totp_code(key: str, *, at: float | None = None) -> str:
    """The 6 digits an authenticator app shows for `key` (hex, as stored) at `at` (now)."""
    totp = TOTP(unhexlify(key))
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


class _FormFields(HTMLParser):
    """Collects the successful controls of one <form>, as a browser would submit them."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        if "__prefix__" not in name:  # the blank row admin's JavaScript clones
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("file", "submit", "button", "image", "reset"):
                self._add(name, a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value", ""))
        elif tag == "textarea" and name and "__prefix__" not in name:
            self._textarea = name
            self._add(name, "")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the newline right after <textarea> (Django writes one there).
            text = self.data[self._textarea][-1]
            self.data[self._textarea][-1] = text.removeprefix("\r").removeprefix("\n")
            self._textarea = None


def form_data(html: str, form_id: str, **overrides) -> dict[str, object]:
    """What submitting the form `form_id` of a page unchanged would post, with `overrides`.

    Admin tests start from the page the staff member sees, so a field added to a form later
    keeps its default instead of breaking every test that posts the form.
    """
    parser = _FormFields(form_id)
    parser.feed(html.removeprefix("\ufeff"))
    data: dict[str, object] = {
        name: values if len(values) > 1 else values[0] for name, values in parser.data.items()
    }
    data.update(overrides)
    return data
