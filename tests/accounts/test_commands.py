import io
import logging
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import staff_otp
from accounts.models import SmsCode, StaffTOTPDevice, User
from tests.accounts.factories import make_verified_user
from tests.factories import make_staff, make_user

pytestmark = pytest.mark.django_db


def test_reencrypt_moves_numbers_to_the_new_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ID_NUMBER_KEYS = [old_key]
    user = make_verified_user(id_number="11010519491231002X")
    settings.ID_NUMBER_KEYS = [new_key, old_key]
    call_command("reencrypt_id_numbers")
    settings.ID_NUMBER_KEYS = [new_key]
    assert User.objects.get(pk=user.pk).id_number == "11010519491231002X"


def test_reencrypt_recomputes_digests_for_a_new_hmac_key(settings):
    user = make_verified_user(id_number="11010519491231002X")
    old_digest = User.objects.get(pk=user.pk).id_number_digest
    settings.ID_NUMBER_HMAC_KEY = "a-new-hmac-key-with-more-than-thirty-two-characters"
    call_command("reencrypt_id_numbers")
    assert User.objects.get(pk=user.pk).id_number_digest != old_digest


def test_purge_keeps_a_day_of_codes(now):
    for expired in (now - timedelta(days=2), now - timedelta(hours=1)):
        SmsCode.objects.create(
            phone="+8613800138000",
            purpose=SmsCode.Purpose.LOGIN,
            code_hash="x" * 64,
            expires_at=expired,
        )
    call_command("purge_sms_codes")
    assert SmsCode.objects.count() == 1


# reset_staff_otp: a lost phone -------------------------------------------------------------------


def test_reset_staff_otp_forgets_the_app_and_backup_codes_and_logs_it(caplog):
    staff = make_staff(phone="+8613800000001", password="pw-for-tests-only")
    staff_otp.replace_backup_codes(user=staff)
    other = make_staff()
    verified = Client()
    verified.force_login(staff)
    assert verified.get("/admin/").status_code == 200

    out = io.StringIO()
    with caplog.at_level(logging.WARNING, logger="accounts.staff_otp"):
        call_command("reset_staff_otp", "138 0000 0001", stdout=out)

    assert "Reset the second factor of 138****0001" in out.getvalue()
    assert not StaffTOTPDevice.objects.filter(user=staff).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()
    assert StaffTOTPDevice.objects.filter(user=other).exists()
    assert f"second factor of staff user {staff.pk} reset from the shell" in caplog.text
    # The session verified with the lost phone is verified no more; the password leads to
    # enrolling a new app.
    assert verified.get("/admin/")["Location"].startswith("/admin/login/")
    response = verified.post(
        "/admin/login/", {"username": "13800000001", "password": "pw-for-tests-only"}
    )
    assert response["Location"].startswith("/admin/second-factor/enrol/")


def test_reset_staff_otp_refuses_unknown_phones_and_applicants():
    with pytest.raises(CommandError, match="No account has the phone 13800000009"):
        call_command("reset_staff_otp", "13800000009")
    make_user(phone="+8613900000001")
    with pytest.raises(CommandError, match="139\\*\\*\\*\\*0001 is not a staff account"):
        call_command("reset_staff_otp", "13900000001")


def test_reset_staff_otp_says_when_there_was_nothing_to_reset():
    make_staff(phone="+8613800000002", authenticator=False)
    out = io.StringIO()
    call_command("reset_staff_otp", "13800000002", stdout=out)
    assert "had no authenticator app; nothing to reset" in out.getvalue()
