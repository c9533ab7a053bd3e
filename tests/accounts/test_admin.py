"""Users in admin: search by phone, filter by real-name state, ID numbers masked unless the
staff member holds accounts.view_full_id_number."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission

from accounts import realname
from accounts.models import AccessEvent, User
from tests.accounts.factories import make_verified_user
from tests.factories import make_staff, make_user, totp_code

pytestmark = pytest.mark.django_db

FULL = "11010519491231002X"
MASKED = "110105********002X"


@pytest.fixture
def staff():
    user = make_staff(phone="+8613700137000", password="demo-password-123")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    return user


@pytest.fixture
def applicant():
    return make_verified_user(phone="+8613800138000", real_name="王小明", id_number=FULL)


def test_staff_log_in_to_admin_with_phone_password_and_code(client, staff):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "137 0013 7000", "password": "demo-password-123"},
    )
    assert response["Location"] == "/admin/second-factor/?next=%2Fadmin%2F"
    key = staff.stafftotpdevice_set.get().key
    response = client.post(response["Location"], {"token": totp_code(key), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_applicants_have_no_password_to_log_in_with(client, applicant):
    assert not applicant.has_usable_password()
    response = client.post("/admin/login/", {"username": "13800138000", "password": ""})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_list_shows_masked_numbers_only(client, staff, applicant):
    client.force_login(staff)
    page = client.get("/admin/accounts/user/").content.decode()
    assert MASKED in page
    assert FULL not in page


def test_search_by_phone_as_people_type_it(client, staff, applicant):
    make_user(phone="+8613900139000")
    client.force_login(staff)
    for term in ["13800138000", "138 0013 8000", "138-0013-8000", "0013800"]:
        page = client.get("/admin/accounts/user/", {"q": term}).content.decode()
        assert "+8613800138000" in page, term
        assert "+8613900139000" not in page, term


def test_filter_by_real_name_state(client, staff, applicant):
    make_user(phone="+8613900139000")
    client.force_login(staff)
    verified = client.get("/admin/accounts/user/", {"real_name": "yes"}).content.decode()
    unverified = client.get("/admin/accounts/user/", {"real_name": "no"}).content.decode()
    assert "+8613800138000" in verified
    assert "+8613900139000" not in verified
    assert "+8613900139000" in unverified
    assert "+8613800138000" not in unverified


def test_change_page_masks_the_number_without_the_permission(client, staff, applicant):
    client.force_login(staff)
    page = client.get(f"/admin/accounts/user/{applicant.pk}/change/").content.decode()
    assert MASKED in page
    assert FULL not in page
    assert "id_number_encrypted" not in page
    assert applicant.id_number_encrypted not in page


def test_the_full_number_needs_the_permission_and_a_reason(client, staff, applicant):
    staff.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    client.force_login(staff)
    page = client.get(f"/admin/accounts/user/{applicant.pk}/change/").content.decode()
    assert MASKED in page
    assert FULL not in page
    reveal = f"/admin/accounts/user/{applicant.pk}/id-number/"
    assert reveal in page
    asked = client.get(reveal).content.decode()
    assert "查看原因" in asked
    assert FULL not in asked
    refused = client.post(reveal, {"reason": ""}).content.decode()
    assert "请填写查看完整证件号码的原因。" in refused
    assert FULL not in refused
    response = client.post(reveal, {"reason": "核对身份证照片与证件号码"})
    assert FULL in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AccessEvent.objects.get(action=AccessEvent.Action.FULL_ID_NUMBER)
    assert (event.subject, event.staff, event.reason) == (
        applicant,
        staff,
        "核对身份证照片与证件号码",
    )
    list_page = client.get("/admin/accounts/user/").content.decode()
    assert FULL not in list_page


def test_the_full_number_is_refused_without_the_permission(client, staff, applicant):
    client.force_login(staff)
    response = client.post(
        f"/admin/accounts/user/{applicant.pk}/id-number/", {"reason": "核对身份证照片"}
    )
    assert response.status_code == 403
    assert not AccessEvent.objects.exists()


def test_real_name_cannot_be_edited_in_admin(client, staff, applicant):
    client.force_login(staff)
    page = client.get(f"/admin/accounts/user/{applicant.pk}/change/").content.decode()
    assert 'name="real_name"' not in page
    assert 'name="phone"' in page


def test_staff_can_add_an_account_without_password(client, staff):
    staff.user_permissions.add(Permission.objects.get(codename="add_user"))
    client.force_login(staff)
    response = client.post(
        "/admin/accounts/user/add/", {"phone": "139 0013 9000", "usable_password": "false"}
    )
    assert response.status_code == 302
    created = User.objects.get(phone="+8613900139000")
    assert not created.has_usable_password()


def test_applicants_cannot_open_admin(client, applicant):
    client.force_login(applicant)
    assert client.get("/admin/accounts/user/")["Location"].startswith("/admin/login/")


def test_clearing_a_real_name_frees_the_number(client, staff, applicant):
    client.force_login(staff)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "clear_real_name", "_selected_action": [applicant.pk]},
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert not applicant.has_real_name
    assert applicant.id_number_digest is None
    assert applicant.id_number_encrypted == ""
    other = make_user()
    realname.verify_real_name(user=other, name="王小明", id_number=FULL)
    assert LogEntry.objects.filter(object_id=str(applicant.pk), change_message="撤销实名认证")


def test_clearing_needs_the_change_permission(client, applicant):
    viewer = make_staff(phone="+8613600136000")
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(viewer)
    client.post(
        "/admin/accounts/user/",
        {"action": "clear_real_name", "_selected_action": [applicant.pk]},
    )
    applicant.refresh_from_db()
    assert applicant.has_real_name
