"""查看记录 (accounts/access_log.py): every kind of staff access to an applicant's data writes one
event, the applicant sees it on 基本信息 by staff number and department, and nobody can change
the trail through admin."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import AccessEvent
from applications.registration import register
from tests.factories import make_applicant, make_info, make_plan, make_staff

pytestmark = pytest.mark.django_db

Action = AccessEvent.Action


@pytest.fixture
def reviewer():
    staff = make_staff(
        group="资格审核员", phone="+8613700137001", staff_number="R0201", department="资格审核科"
    )
    staff.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user"]))
    return staff


@pytest.fixture
def staff_client(reviewer) -> Client:
    client = Client()
    client.force_login(reviewer)
    return client


@pytest.fixture
def registration():
    applicant = make_applicant(name="赵大海", phone="+8613900139001")
    plan = make_plan()
    make_info(applicant, plan)
    return register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.first()
    ).registration


def events_of(registration):
    return list(AccessEvent.objects.filter(subject=registration.applicant_id))


def look(client, registration, kind: str):
    """One access of `kind` by the staff member of `client`."""
    applicant = registration.applicant
    info = registration.info
    document = info.documents_in_order[0]
    if kind == "full_id_user":
        url = reverse("admin:accounts_user_id_number", args=[applicant.pk])
        return client.post(url, {"reason": "核对身份证照片与号码"})
    if kind == "full_id_registration":
        url = reverse("admin:applications_registration_id_number", args=[registration.pk])
        return client.post(url, {"reason": "核对身份证照片与号码"})
    if kind == "document":
        return client.get(reverse("applications:document", args=[document.pk]))
    if kind == "thumbnails":
        for each in info.documents_in_order:
            client.get(reverse("applications:document_thumbnail", args=[each.pk]))
        return None
    if kind == "account":
        return client.get(reverse("admin:accounts_user_change", args=[applicant.pk]))
    if kind == "registration":
        return client.get(reverse("admin:applications_registration_change", args=[registration.pk]))
    if kind == "info":
        return client.get(reverse("admin:applications_applicationinfo_change", args=[info.pk]))
    if kind == "export":
        url = reverse("admin:applications_registration_changelist")
        data = {"action": "export_csv", "_selected_action": [registration.pk]}
        return b"".join(client.post(url, data).streaming_content)
    raise AssertionError(kind)


KINDS = {
    "full_id_user": (Action.FULL_ID_NUMBER, "账号的实名信息"),
    "full_id_registration": (Action.FULL_ID_NUMBER, "的填报信息"),
    "document": (Action.DOCUMENT, "身份证人像面"),
    "thumbnails": (Action.DOCUMENT, "材料缩略图"),
    "account": (Action.ACCOUNT, "账号信息"),
    "registration": (Action.APPLICATION, "配租登记"),
    "info": (Action.APPLICATION, "信息填报"),
    "export": (Action.EXPORT, "配租登记列表"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_staff_access_writes_one_event_the_applicant_sees(
    staff_client, reviewer, registration, kind
):
    look(staff_client, registration, kind)
    [event] = events_of(registration)
    action, target = KINDS[kind]
    assert event.action == action
    assert target in event.target
    assert (event.staff, event.staff_number, event.department) == (reviewer, "R0201", "资格审核科")
    if action == Action.FULL_ID_NUMBER:
        assert event.reason == "核对身份证照片与号码"
    applicant = Client()
    applicant.force_login(registration.applicant)
    page = applicant.get("/accounts/profile/").content.decode()
    assert "谁查看了我的信息" in page
    assert "工号 R0201（资格审核科）" in page
    assert event.get_action_display() in page
    # A staff number and a department, never the staff member's phone.
    assert "13700137001" not in page
    assert "137****7001" not in page


def test_the_same_look_again_within_ten_minutes_is_one_event(staff_client, registration):
    with time_machine.travel("2026-06-01 10:00 +08:00", tick=False) as clock:
        look(staff_client, registration, "document")
        clock.shift(timedelta(minutes=9))
        look(staff_client, registration, "document")
        assert len(events_of(registration)) == 1
        clock.shift(timedelta(minutes=2))
        look(staff_client, registration, "document")
    assert len(events_of(registration)) == 2


def test_every_full_number_is_an_event_with_its_reason(staff_client, registration):
    look(staff_client, registration, "full_id_user")
    look(staff_client, registration, "full_id_user")
    assert len(events_of(registration)) == 2


def test_a_reason_is_required_before_the_number(staff_client, registration):
    url = reverse("admin:applications_registration_id_number", args=[registration.pk])
    page = staff_client.post(url, {"reason": "看"}).content.decode()
    assert "请具体说明查看原因" in page
    assert registration.info.id_number not in page
    assert staff_client.get(url).status_code == 200
    assert events_of(registration) == []


def test_an_applicant_opening_their_own_documents_is_no_event(registration):
    client = Client()
    client.force_login(registration.applicant)
    document = registration.info.documents_in_order[0]
    assert client.get(reverse("applications:document", args=[document.pk])).status_code == 200
    assert not AccessEvent.objects.exists()


def test_an_export_of_many_writes_one_event_per_applicant(staff_client, registration):
    other = make_applicant(name="钱小二", phone="+8613900139002")
    make_info(other, registration.plan)
    second = register(
        applicant=other, plan=registration.plan, offering=registration.offering
    ).registration
    url = reverse("admin:applications_registration_changelist")
    data = {"action": "export_csv", "_selected_action": [registration.pk, second.pk]}
    b"".join(staff_client.post(url, data).streaming_content)
    subjects = sorted(AccessEvent.objects.values_list("subject_id", flat=True))
    assert subjects == sorted([registration.applicant_id, other.pk])


def test_the_applicant_sees_only_their_own_events(staff_client, registration):
    other = make_applicant(name="钱小二", phone="+8613900139002")
    look(staff_client, registration, "account")
    client = Client()
    client.force_login(other)
    page = client.get("/accounts/profile/").content.decode()
    assert "目前没有工作人员查看过您的信息。" in page
    assert "R0201" not in client.get("/accounts/profile/access/").content.decode()


def test_the_full_list_is_paged(staff_client, registration):
    for _ in range(25):
        look(staff_client, registration, "full_id_registration")
    client = Client()
    client.force_login(registration.applicant)
    profile = client.get("/accounts/profile/").content.decode()
    assert profile.count("查看完整证件号码") == 5
    assert "查看全部查看记录" in profile
    first = client.get("/accounts/profile/access/").content.decode()
    assert first.count("查看完整证件号码：") == 20
    assert "第 1 页，共 2 页" in first
    second = client.get("/accounts/profile/access/?page=2").content.decode()
    assert second.count("查看完整证件号码：") == 5


def test_the_access_list_needs_a_login(client):
    assert client.get("/accounts/profile/access/")["Location"].startswith("/accounts/login/")


# The trail in admin ------------------------------------------------------------------------------


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(make_staff(superuser=True, staff_number="A0001", department="信息技术部"))
    return client


def test_superusers_read_the_whole_trail(superuser_client, staff_client, registration):
    look(staff_client, registration, "full_id_user")
    page = superuser_client.get("/admin/accounts/accessevent/").content.decode()
    assert "R0201" in page
    assert "核对身份证照片与号码" in page


def test_nobody_can_add_change_or_delete_an_event_through_admin(
    superuser_client, staff_client, registration
):
    look(staff_client, registration, "document")
    event = AccessEvent.objects.get()
    base = "/admin/accounts/accessevent/"
    assert superuser_client.get(f"{base}add/").status_code == 403
    assert superuser_client.post(f"{base}add/", {"target": "x"}).status_code == 403
    change = superuser_client.post(f"{base}{event.pk}/change/", {"reason": "改掉"})
    assert change.status_code == 403
    assert superuser_client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    listing = superuser_client.get(base).content.decode()
    assert "delete_selected" not in listing
    bulk = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    superuser_client.post(base, bulk)
    event.refresh_from_db()
    assert event.reason == ""
    assert AccessEvent.objects.count() == 1
    # The read-only page shows the event without a form to save.
    detail = superuser_client.get(f"{base}{event.pk}/change/").content.decode()
    assert 'name="_save"' not in detail


def test_other_staff_do_not_see_the_trail(staff_client, reviewer):
    reviewer.user_permissions.add(*Permission.objects.filter(codename__endswith="accessevent"))
    assert staff_client.get("/admin/accounts/accessevent/").status_code == 403


def test_superusers_export_the_trail_for_audits(superuser_client, staff_client, registration):
    look(staff_client, registration, "full_id_user")
    event = AccessEvent.objects.get()
    data = {"action": "export_csv", "_selected_action": [event.pk]}
    response = superuser_client.post("/admin/accounts/accessevent/", data)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "工号", "所属部门"]
    assert rows[1][1:3] == ["R0201", "资格审核科"]
    assert "核对身份证照片与号码" in rows[1]
    assert len(rows) == 2


def test_the_trail_filters_by_department(superuser_client, staff_client, registration):
    look(staff_client, registration, "account")  # 资格审核科
    look(superuser_client, registration, "document")  # 信息技术部
    page = superuser_client.get("/admin/accounts/accessevent/?department=资格审核科")
    html = page.content.decode()
    assert "R0201" in html
    assert "A0001" not in html.split("</thead>", 1)[1]


def test_no_event_for_a_page_the_staff_member_may_not_open(registration):
    """A staff member without the view permission is refused the page: no look, no event."""
    outsider = make_staff(staff_number="X0001")
    outsider.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    client = Client()
    client.force_login(outsider)
    for kind in ("account", "registration", "info", "full_id_user", "full_id_registration"):
        assert look(client, registration, kind).status_code == 403, kind
    assert not AccessEvent.objects.exists()
