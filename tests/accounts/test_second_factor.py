"""Staff have a second factor (issue 10, finding 4): after the password, a code from an
authenticator app or a backup code; a staff member without an app enrols first; until the code
is typed no admin page answers."""

import base64
import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django_otp.plugins.otp_static.models import StaticToken

from accounts import staff_otp
from accounts.admin_site import ENROL_KEY
from accounts.models import StaffTOTPDevice
from rentcenter import crypto
from tests.clock import MORNING
from tests.conftest import log_in_without_second_factor
from tests.factories import (
    make_applicant,
    make_document,
    make_plan,
    make_staff,
    totp_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]

PASSWORD = "correct-horse-2026"


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def password_login(client: Client, user, next_url: str = "/admin/") -> str:
    """The admin login with the right password; where it sends the browser."""
    response = client.post(
        f"/admin/login/?next={next_url}",
        {"username": str(user.phone), "password": PASSWORD},
    )
    assert response.status_code == 302
    return response["Location"]


def prove_phone(client: Client, user) -> None:
    """The enrolment's first step (issue 17): the code texted to the account's phone."""
    from tests.accounts.conftest import last_code

    client.post("/admin/second-factor/enrol/phone/", {"send": "1"})
    response = client.post(
        "/admin/second-factor/enrol/phone/", {"token": last_code(user.phone.as_e164)}
    )
    assert response.status_code == 302, response.content.decode()


def secret_on(page: str) -> str:
    """The key as a person reads it off the enrolment page, as stored (hex)."""
    text = re.search(r'id="secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    return base64.b32decode(text).hex()


# Enrolment ------------------------------------------------------------------------------------


def test_staff_without_an_app_enrol_with_a_qr_code_then_see_ten_backup_codes_once(client):
    staff = make_staff(password=PASSWORD, superuser=True, authenticator=False)
    enrol = password_login(client, staff)
    assert enrol == "/admin/second-factor/enrol/?next=%2Fadmin%2F"
    prove_phone(client, staff)
    page = client.get(enrol).content.decode()
    assert "设置双重验证" in page
    assert "<svg" in page  # the QR code, drawn here
    assert "otpauth" not in page  # the address is in the picture only
    key = secret_on(page)
    assert not StaffTOTPDevice.objects.exists()  # nothing stored before a first code

    wrong = client.post(enrol, {"token": "000000", "next": "/admin/"})
    assert "验证码不正确。请确认已扫描本页的二维码" in wrong.content.decode()
    assert secret_on(wrong.content.decode()) == key  # the same secret, still

    response = client.post(enrol, {"token": totp_code(key), "next": "/admin/"})
    assert response["Location"] == "/admin/second-factor/backup-codes/?next=%2Fadmin%2F"
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert set(codes) == set(StaticToken.objects.values_list("token", flat=True))
    assert 'href="/admin/"' in codes_page
    # Shown once.
    again = client.get("/admin/second-factor/backup-codes/").content.decode()
    assert not any(code in again for code in codes)
    assert 'id="codes-left">10<' in again
    assert client.get("/admin/").status_code == 200
    assert StaffTOTPDevice.objects.get(user=staff).key == key


def test_enrolment_page_keeps_its_secret_across_reloads(client):
    staff = make_staff(password=PASSWORD, authenticator=False)
    enrol = password_login(client, staff)
    prove_phone(client, staff)
    first = secret_on(client.get(enrol).content.decode())
    assert secret_on(client.get(enrol).content.decode()) == first
    assert first not in str(client.session[ENROL_KEY])  # kept encrypted in the session
    assert crypto.decrypt(client.session[ENROL_KEY]) == first


def test_a_staff_member_with_an_app_is_not_offered_a_new_one(client):
    staff = make_staff(password=PASSWORD)
    assert password_login(client, staff).startswith("/admin/second-factor/?")
    response = client.get("/admin/second-factor/enrol/")
    assert response["Location"].startswith("/admin/second-factor/?")


def test_the_code_typed_at_enrolment_cannot_be_typed_again(client):
    staff = make_staff(password=PASSWORD, authenticator=False)
    enrol = password_login(client, staff)
    prove_phone(client, staff)
    key = secret_on(client.get(enrol).content.decode())
    client.post(enrol, {"token": totp_code(key)})
    other = Client()
    password_login(other, staff)
    response = other.post("/admin/second-factor/", {"token": totp_code(key)})
    assert "验证码不正确" in response.content.decode()
    assert other.get("/admin/")["Location"].startswith("/admin/login/")


def test_the_code_can_be_typed_with_a_space(client):
    staff = make_staff(password=PASSWORD)
    password_login(client, staff)
    code = totp_code(staff.stafftotpdevice_set.get().key)
    response = client.post("/admin/second-factor/", {"token": f" {code[:3]} {code[3:]} "})
    assert response["Location"] == "/admin/"


# Verification ----------------------------------------------------------------------------------


def test_password_then_code_opens_admin_where_the_staff_member_was_going(client):
    staff = make_staff(password=PASSWORD, superuser=True)
    verify = password_login(client, staff, next_url="/admin/accounts/user/")
    assert verify == "/admin/second-factor/?next=%2Fadmin%2Faccounts%2Fuser%2F"
    page = client.get(verify).content.decode()
    assert "身份验证器" in page
    assert client.get("/admin/accounts/user/")["Location"].startswith("/admin/login/")
    key = staff.stafftotpdevice_set.get().key
    response = client.post(verify, {"token": totp_code(key), "next": "/admin/accounts/user/"})
    assert response["Location"] == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200


def test_a_wrong_code_is_refused_beside_the_field_and_slows_the_next(client, time_machine):
    staff = make_staff(password=PASSWORD)
    password_login(client, staff)
    page = client.post("/admin/second-factor/", {"token": "123456"}).content.decode()
    assert "验证码不正确。请输入身份验证器应用当前显示的 6 位数字" in page
    assert page.count("验证码不正确") == 1  # beside the field, not repeated above it
    # django-otp's back-off: after a failure the next try waits a second, after two, two.
    key = staff.stafftotpdevice_set.get().key
    page = client.post("/admin/second-factor/", {"token": totp_code(key)}).content.decode()
    assert "验证码错误次数过多，请于 10:00:01 后再试。" in page
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    time_machine.shift(2)
    response = client.post("/admin/second-factor/", {"token": totp_code(key)})
    assert response["Location"] == "/admin/"


def test_an_empty_or_huge_code_is_refused_with_a_message(client):
    staff = make_staff(password=PASSWORD)
    password_login(client, staff)
    assert "请输入验证码。" in client.post("/admin/second-factor/", {"token": ""}).content.decode()
    page = client.post("/admin/second-factor/", {"token": "9" * 100}).content.decode()
    assert "验证码不超过 32 个字符。" in page


def test_a_backup_code_works_once(client):
    staff = make_staff(password=PASSWORD)
    [code, *_] = staff_otp.replace_backup_codes(user=staff)
    password_login(client, staff)
    response = client.post("/admin/second-factor/", {"token": code.upper()}, follow=True)
    assert "已使用一个备用验证码，还剩 9 个。" in response.content.decode()
    assert client.get("/admin/").status_code == 200
    other = Client()
    password_login(other, staff)
    assert "验证码不正确" in other.post("/admin/second-factor/", {"token": code}).content.decode()


def test_new_backup_codes_replace_the_old(client):
    staff = make_staff(password=PASSWORD)
    old = staff_otp.replace_backup_codes(user=staff)
    client.force_login(staff)
    response = client.post("/admin/second-factor/backup-codes/", follow=True)
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == 10
    assert not set(new) & set(old)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)


def test_a_verified_session_going_to_the_code_page_goes_on(client):
    staff = make_staff(password=PASSWORD)
    client.force_login(staff)
    response = client.get("/admin/second-factor/?next=/admin/accounts/user/")
    assert response["Location"] == "/admin/accounts/user/"


def test_next_never_leaves_the_site(client):
    staff = make_staff(password=PASSWORD)
    password_login(client, staff)
    key = staff.stafftotpdevice_set.get().key
    response = client.post(
        "/admin/second-factor/", {"token": totp_code(key), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


def test_wrong_method_is_refused(client):
    staff = make_staff(password=PASSWORD)
    password_login(client, staff)
    assert client.put("/admin/second-factor/").status_code == 405
    assert client.delete("/admin/second-factor/enrol/").status_code == 405


# No admin page without the second factor ------------------------------------------------------


def admin_urls() -> dict[str, str]:
    """Every page of admin: the site's own, each model's and the custom ones (数据看板,
    冻结名单, 摇号, 审核), with sample ids (the check comes before any lookup)."""
    samples = {"app_label": "accounts", "content_type_id": "1", "object_id": "1"}
    skip = {"login", "logout", "second_factor", "second_factor_enrol", "second_factor_enrol_phone"}
    urls = {}

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix)
            elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in skip:
                names = pattern.pattern.regex.groupindex
                kwargs = {name: samples.get(name, "1") for name in names}
                urls[pattern.name] = reverse(f"admin:{pattern.name}", kwargs=kwargs)

    walk(admin.site.get_urls())
    return urls


ADMIN_PAGES = admin_urls()


def test_the_list_of_admin_pages_has_the_custom_views():
    custom = [
        "plans_plan_dashboard",
        "lottery_draw_freeze",
        "lottery_draw_freeze_confirm",
        "lottery_draw_run",
        "lottery_draw_run_confirm",
        "applications_registration_decide",
        "applications_registration_check_document",
        "backup_codes",
        "accounts_user_changelist",
        "accounts_loginlockout_changelist",
        "index",
        "password_change",
    ]
    assert set(custom) <= set(ADMIN_PAGES)
    assert len(ADMIN_PAGES) > 80


@pytest.mark.parametrize("session", ["password only", "signed in elsewhere", "no app yet"])
def test_a_session_without_the_second_factor_reaches_no_admin_page(client, session):
    if session == "password only":
        password_login(client, make_staff(password=PASSWORD, superuser=True))
    elif session == "signed in elsewhere":  # e.g. by SMS code on the public site
        log_in_without_second_factor(client, make_staff(password=PASSWORD, superuser=True))
    else:
        password_login(client, make_staff(password=PASSWORD, superuser=True, authenticator=False))
    for url in ADMIN_PAGES.values():
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (url, method)
            assert response["Location"].startswith("/admin/login/"), url


def test_the_same_pages_open_once_verified(client):
    """The other side of the test above: the pages answer a verified session."""
    client.force_login(make_staff(superuser=True))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    plan = make_plan()
    assert client.get(reverse("admin:plans_plan_dashboard", args=[plan.pk])).status_code == 200


def test_signed_in_elsewhere_is_sent_to_the_password_not_the_code(client):
    """A staff member's phone opens the public site by SMS code; that is no way around the
    password to the code page, nor to enrolling a new app."""
    staff = make_staff(password=PASSWORD, authenticator=False)
    log_in_without_second_factor(client, staff)
    for url in [
        "/admin/second-factor/",
        "/admin/second-factor/enrol/",
        "/admin/second-factor/enrol/phone/",
    ]:
        response = client.get(url)
        assert response["Location"].startswith("/admin/login/"), url
    assert client.get("/admin/login/").status_code == 200
    assert not StaffTOTPDevice.objects.exists()
    assert ENROL_KEY not in client.session


def test_anonymous_is_sent_to_the_login(client):
    for url in [
        "/admin/second-factor/",
        "/admin/second-factor/enrol/",
        "/admin/second-factor/enrol/phone/",
        "/admin/",
    ]:
        assert client.get(url)["Location"].startswith("/admin/login/"), url


def test_the_code_page_offers_to_log_out(client):
    staff = make_staff(password=PASSWORD)
    password_login(client, staff)
    page = client.get("/admin/second-factor/").content.decode()
    assert 'action="/accounts/logout/"' in page
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_documents_need_the_second_factor_too(client):
    """Reviewers open applicants' documents outside admin; without the code, they cannot."""
    from applications.registration import register
    from tests.factories import make_info, make_plan

    reviewer = make_staff(password=PASSWORD, group="资格审核员")
    applicant, plan = make_applicant(), make_plan()
    document = make_document(applicant)
    make_info(applicant, plan, documents=[document])
    register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())  # in review
    url = reverse("applications:document_thumbnail", args=[document.pk])
    password_login(client, reviewer)
    assert client.get(url).status_code == 404
    client.force_login(reviewer)
    assert client.get(url).status_code == 200


def test_the_code_pages_do_not_list_what_admin_holds(client):
    staff = make_staff(password=PASSWORD, superuser=True, authenticator=False)
    password_login(client, staff)
    phone_step = client.get("/admin/second-factor/enrol/", follow=True).content.decode()
    prove_phone(client, staff)
    enrol = client.get("/admin/second-factor/enrol/").content.decode()
    for page in (phone_step, enrol):
        assert "设置双重验证" in page or "验证手机号" in page
        assert "/admin/accounts/user/" not in page
        assert 'id="nav-sidebar"' not in page
