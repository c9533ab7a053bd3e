"""seed_demo renders three PDFs with WeasyPrint (seconds), so the module seeds once, twice over,
inside a transaction that is rolled back when the module is done."""

import base64
import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from pytest_django.asserts import assertContains

from accounts.models import User
from allocation.models import Choice, Home, Recheck, Session, SigningSlot, Turn
from demo.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_TOTP_SECRET
from plans.models import Announcement, AnnouncementAttachment, Plan, PlanProject
from projects.models import FloorPlan, FloorPlanPhoto, Project, ProjectPhoto, RentItem
from rentcenter.storage import private_storage
from tests.clock import beijing
from tests.factories import totp_code

MODELS = [
    Plan,
    PlanProject,
    Announcement,
    AnnouncementAttachment,
    Project,
    ProjectPhoto,
    FloorPlan,
    FloorPlanPhoto,
    RentItem,
    User,
    Home,
    Recheck,
    Session,
    Turn,
    Choice,
    SigningSlot,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Counts after the first and after the second run of seed_demo --with-accounts."""
    # Tests run with DEBUG off; demo accounts are made only on a developer's (DEBUG) site.
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True):
            call_command("seed_demo", "--with-accounts", stdout=io.StringIO())
            first = counts()
            output = io.StringIO()
            call_command("seed_demo", "--with-accounts", stdout=output)
        yield {"first": first, "second": counts(), "output": output.getvalue()}
        transaction.set_rollback(True)


def test_running_twice_changes_nothing(seeded, db):
    assert seeded["second"] == seeded["first"]
    assert "新建" not in seeded["output"]


def test_makes_three_plans_open_upcoming_and_closed(seeded, db):
    plans = list(Plan.objects.all())
    assert len(plans) == 3
    assert sorted(plan.state.label for plan in plans) == sorted(["登记中", "未开始", "已结束"])
    assert {plan.status for plan in plans} == {Plan.Status.PUBLISHED, Plan.Status.CLOSED}
    assert Plan.objects.open_for_registration().count() == 1
    for plan in plans:
        assert plan.plan_projects.exists()
        assert plan.info_opens_at <= plan.registration_starts_at < plan.registration_ends_at


def test_makes_six_projects_in_six_districts_with_rents_and_floor_plans(seeded, db):
    projects = list(Project.objects.all())
    assert len(projects) == 6
    assert len({project.district for project in projects}) == 6
    for project in projects:
        rents = list(project.rent_items.all())
        assert rents
        assert all(2000 <= item.monthly_rent <= 6000 for item in rents)
        assert project.floor_plans.count() == len(rents)


def test_every_picture_has_its_renditions_and_original(seeded, db):
    pictures = [
        *ProjectPhoto.objects.all(),
        *FloorPlan.objects.all(),
        *FloorPlanPhoto.objects.all(),
    ]
    assert len(pictures) >= 6 * 3
    for picture in pictures:
        assert default_storage.exists(picture.large.name)
        assert default_storage.exists(picture.thumbnail.name)
        assert private_storage().exists(picture.original.name)
        assert picture.width > 0
        assert picture.height > 0


def test_each_plan_has_an_announcement_with_a_real_pdf(seeded, db):
    for plan in Plan.objects.all():
        announcement = plan.announcements.get()
        attachment = announcement.attachments.get()
        with default_storage.open(attachment.file.name, "rb") as file:
            content = file.read()
        assert attachment.size == len(content)
        assert len(PdfReader(io.BytesIO(content)).pages) >= 1


def test_demo_site_pages_answer(seeded, client, db):
    assert client.get("/").status_code == 200
    for plan in Plan.objects.all():
        assert client.get(reverse("plans:announcement", args=[plan.pk])).status_code == 200
    for project in Project.objects.all():
        assert client.get(project.get_absolute_url()).status_code == 200
        floor_plan = project.floor_plans.first()
        assert client.get(floor_plan.get_absolute_url()).status_code == 200


def test_the_closed_plan_is_in_选房_with_a_live_queue(seeded, client, db):
    session = Session.objects.get()
    assert Home.objects.filter(offering__plan=session.plan).count() == 24
    assert Choice.objects.count() == 2  # a choice, a 放弃, a 代为选房 done; the fourth chooses
    html = client.get(reverse("allocation:hall", args=[session.plan_id])).content.decode()
    assert '顺序号 第 <span class="stat-number hall__position">4</span> 号' in html
    assert "选房大厅" in seeded["output"]


@pytest.mark.parametrize(("phone", "password", "group", "name"), DEMO_ACCOUNTS)
def test_demo_accounts_log_in_to_admin_with_their_groups(
    seeded, client, db, phone, password, group, name
):
    user = User.objects.get(phone=phone)
    assert user.is_staff
    assert user.staff_name == name
    assert user.is_superuser is (group is None)
    assert [g.name for g in user.groups.all()] == ([group] if group else [])
    response = client.post(
        reverse("admin:login"), {"username": phone, "password": password, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response.url == "/admin/second-factor/?next=%2Fadmin%2F"
    # The code an authenticator app given the README's demo secret shows.
    code = totp_code(base64.b32decode(DEMO_TOTP_SECRET).hex())
    response = client.post(response.url, {"token": code, "next": "/admin/"})
    assert response.url == "/admin/"
    assertContains(client.get("/admin/"), f"<strong>{name}</strong>", html=True)  # 欢迎，王芳


def test_the_readme_prints_the_demo_secret_and_a_way_to_compute_codes():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert DEMO_TOTP_SECRET in readme


def test_demo_accounts_are_refused_without_debug(settings, db):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", "--with-accounts", stdout=io.StringIO())
    assert counts() == before


@pytest.mark.parametrize(
    "later",
    [
        beijing(2030, 2, 1, 8, 30),  # before 09:00, when "today's" window would not yet be open
        beijing(2030, 12, 31, 23, 59),
        beijing(2031, 1, 1, 0, 30),  # UTC is still on 31 December
    ],
)
def test_seeding_again_later_moves_the_demo_windows_to_that_day(seeded, db, time_machine, later):
    time_machine.move_to(later, tick=False)
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert counts() == seeded["second"]
    states = {plan.title: plan.state.label for plan in Plan.objects.all()}
    assert sorted(states.values()) == sorted(["登记中", "未开始", "已结束"])
    open_plan = Plan.objects.open_for_registration().get()
    registrations = open_plan.registrations.all()
    assert registrations.exists()
    for registration in registrations:
        assert open_plan.registration_starts_at <= registration.created_at <= later
    announcement = open_plan.announcements.get()
    assert announcement.published_at <= later
    starts = timezone.localtime(open_plan.registration_starts_at)
    assert f"{starts.year}年{starts.month}月{starts.day}日 09:00" in announcement.body
