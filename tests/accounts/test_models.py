import pytest
from django.db import connection

from accounts.models import SmsCode, User, mask_phone
from tests.accounts.factories import make_verified_user
from tests.clock import AFTER_MIDNIGHT
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_masks_the_phone():
    assert make_user(phone="+8613800138000").masked_phone == "138****8000"
    assert mask_phone(None) == ""


def test_a_new_user_has_no_real_name():
    user = make_user()
    assert not user.has_real_name
    assert user.id_number == ""
    assert user.masked_id_number == ""
    assert user.real_name == ""
    assert user.sex == ""
    assert user.birth_date is None


def test_a_verified_user_shows_the_number_masked_and_decrypted():
    user = make_verified_user(id_number="11010519491231002X")
    user = User.objects.get(pk=user.pk)
    assert user.has_real_name
    assert user.id_number == "11010519491231002X"
    assert user.masked_id_number == "110105********002X"
    assert user.sex == User.Sex.FEMALE
    assert user.get_sex_display() == "女"


def test_the_stored_columns_hold_no_plain_number():
    user = make_verified_user(id_number="11010519491231002X")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number_encrypted, id_number_digest FROM accounts_user WHERE id = %s",
            [user.pk],
        )
        encrypted, digest = cursor.fetchone()
    assert "11010519491231002X" not in encrypted
    assert "11010519491231002X" not in digest
    assert len(digest) == 64


def test_unverified_accounts_do_not_collide_on_the_unique_digest():
    make_user()
    make_user()
    assert User.objects.filter(id_number_digest__isnull=True).count() == 2


def test_changing_the_phone_changes_the_session_hash():
    user = make_user(phone="+8613800138000")
    before = user.get_session_auth_hash()
    user.phone = "+8613900139000"
    assert user.get_session_auth_hash() != before


def test_the_session_hash_knows_old_secret_keys(settings):
    user = make_user()
    old = user.get_session_auth_hash()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789"
    assert old in list(user.get_session_auth_fallback_hash())


def test_get_or_create_applicant_makes_one_account():
    user, created = User.objects.get_or_create_applicant("+8613800138000")
    again, created_again = User.objects.get_or_create_applicant("+8613800138000")
    assert created
    assert not created_again
    assert again == user
    assert not user.has_usable_password()


def test_a_code_is_named_by_its_beijing_time(db):
    # 00:30 on 1 March in Beijing is 16:30 on 28 February in UTC.
    code = SmsCode(
        phone="+8613800138000",
        purpose=SmsCode.Purpose.LOGIN,
        created_at=AFTER_MIDNIGHT,
        expires_at=AFTER_MIDNIGHT,
    )
    assert str(code) == "登录或注册 2027-03-01 00:30"
