"""Enrolment needs a second proof (issue 17, finding 4: whoever knew a new staff member's
password first enrolled their own authenticator). Decided: a code texted, through the outbox,
to the account's phone (accounts are phones) before the QR code is shown; a one-time link from
a superuser would need a superuser for the first one and a channel to carry it. The staff
member is texted when an app is enrolled or reset."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from accounts import staff_otp
from accounts.admin_site import ENROL_KEY
from accounts.models import StaffTOTPDevice
from messaging.models import OutboxMessage
from rentcenter import crypto, sms
from tests.accounts.conftest import last_code, texts_to
from tests.accounts.test_second_factor import PASSWORD, password_login, secret_on
from tests.clock import MORNING
from tests.factories import make_staff, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]

PHONE = "+8613800000005"
ENROL = "/admin/second-factor/enrol/"
PHONE_STEP = "/admin/second-factor/enrol/phone/"


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def newcomer():
    return make_staff(phone=PHONE, password=PASSWORD, superuser=True, authenticator=False)


def test_the_password_alone_shows_no_secret(client, newcomer):
    enrol = password_login(client, newcomer)

    response = client.get(enrol, follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(PHONE_STEP)
    assert "验证手机号" in page
    assert "138****0005" in page
    assert 'id="secret"' not in page
    assert "身份验证器二维码" not in page
    assert ENROL_KEY not in client.session


def test_a_code_posted_without_the_phones_proof_stores_nothing(client, newcomer):
    password_login(client, newcomer)
    key = staff_otp.new_key()
    session = client.session
    session[ENROL_KEY] = crypto.encrypt(key)  # even a secret the attacker planted
    session.save()

    response = client.post(ENROL, {"token": totp_code(key)})

    assert response.status_code == 302
    assert response["Location"].startswith(PHONE_STEP)
    assert not StaffTOTPDevice.objects.exists()


def test_the_code_is_texted_to_the_accounts_phone_through_the_outbox(client, newcomer):
    password_login(client, newcomer)

    page = client.post(PHONE_STEP, {"send": "1"}).content.decode()

    assert "验证码已发送至 138****0005" in page
    row = OutboxMessage.objects.get(phone=PHONE)
    assert row.kind == OutboxMessage.Kind.CODE
    assert "管理后台的双重验证，验证码为" in texts_to(PHONE)[-1]


def test_the_right_code_leads_to_the_qr_code_and_the_app_is_enrolled(client, newcomer):
    password_login(client, newcomer)
    client.post(PHONE_STEP, {"send": "1"})
    wrong = client.post(PHONE_STEP, {"token": "000000"})
    assert "短信验证码不正确或已失效" in wrong.content.decode()

    response = client.post(PHONE_STEP, {"token": last_code(PHONE), "next": "/admin/"})

    assert response["Location"] == f"{ENROL}?next=%2Fadmin%2F"
    key = secret_on(client.get(response["Location"]).content.decode())
    done = client.post(ENROL, {"token": totp_code(key)})
    assert done["Location"].startswith("/admin/second-factor/backup-codes/")
    assert StaffTOTPDevice.objects.get(user=newcomer).key == key


def test_the_staff_member_is_texted_when_an_app_is_enrolled(client, newcomer):
    password_login(client, newcomer)
    client.post(PHONE_STEP, {"send": "1"})
    client.post(PHONE_STEP, {"token": last_code(PHONE)})
    key = secret_on(client.get(ENROL).content.decode())

    client.post(ENROL, {"token": totp_code(key)})

    notice = texts_to(PHONE)[-1]
    assert "设置了新的身份验证器" in notice
    assert "如非本人操作，请立即联系系统管理员" in notice


def test_the_phones_proof_lasts_ten_minutes(client, newcomer, time_machine):
    password_login(client, newcomer)
    client.post(PHONE_STEP, {"send": "1"})
    client.post(PHONE_STEP, {"token": last_code(PHONE)})
    assert client.get(ENROL).status_code == 200

    time_machine.move_to(MORNING + timedelta(minutes=11), tick=False)

    assert client.get(ENROL)["Location"].startswith(PHONE_STEP)


def test_the_proof_is_the_accounts_own(client, newcomer):
    """Another staff member's proved session does not carry over to this account."""
    other = make_staff(phone="+8613800000007", password=PASSWORD, authenticator=False)
    password_login(client, other)
    client.post(PHONE_STEP, {"send": "1"})
    client.post(PHONE_STEP, {"token": last_code("+8613800000007")})
    second = Client()
    password_login(second, newcomer)
    session = second.session
    session["accounts.otp_enrol_phone"] = client.session["accounts.otp_enrol_phone"]
    session.save()

    assert second.get(ENROL)["Location"].startswith(PHONE_STEP)


def test_sending_is_limited_per_phone(client, newcomer):
    password_login(client, newcomer)
    client.post(PHONE_STEP, {"send": "1"})
    again = client.post(PHONE_STEP, {"send": "1"}).content.decode()
    assert "发送过于频繁" in again
    assert len(texts_to(PHONE)) == 1


def test_the_staff_member_is_texted_when_the_app_is_reset(django_capture_on_commit_callbacks):
    staff = make_staff(phone="+8613800000008", password=PASSWORD)
    sms.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("reset_staff_otp", "13800000008")

    notice = texts_to("+8613800000008")[-1]
    assert "身份验证器和备用验证码已被重置" in notice
    assert not StaffTOTPDevice.objects.filter(user=staff).exists()
