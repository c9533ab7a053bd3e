from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from accounts.models import SmsCode, User
from tests.accounts.factories import make_verified_user

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
