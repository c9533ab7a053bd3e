"""Secrets at rest and keys at deploy (issue 18, item 6).

Staff TOTP secrets are encrypted with the site's keys (ID_NUMBER_KEYS) like ID numbers, and
`manage.py reencrypt_id_numbers` rotates everything encrypted with them: users' numbers and
digests, 信息填报 versions, 家庭成员, drafts, household digests and authenticator secrets. A key
canary reads a few stored values: a wrong or missing key is caught by /readyz and
`check --deploy` with a sentence that names the variable, and a page that meets it anyway
answers the Chinese 503 page, never a 500."""

import importlib
from datetime import date

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import staff_otp
from accounts.models import StaffTOTPDevice, User
from applications.models import ApplicationDraft, ApplicationInfo, FamilyMember, HouseholdMember
from applications.registration import register
from rentcenter import crypto
from tests.factories import (
    give_authenticator,
    id_number_for,
    make_applicant,
    make_info,
    make_plan,
    make_staff,
    totp_code,
)

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0005_staff_totp_secrets_encrypted")


@pytest.fixture
def old_key(settings):
    key = Fernet.generate_key().decode()
    settings.ID_NUMBER_KEYS = [key]
    return key


def stored_row(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608 (our table)
        return " ".join(str(value) for value in cursor.fetchone())


# Staff TOTP secrets ---------------------------------------------------------------------------


def test_an_authenticator_secret_is_stored_encrypted():
    key = staff_otp.new_key()
    device = give_authenticator(make_staff(authenticator=False), key=key)

    row = stored_row("accounts_stafftotpdevice", device.pk)

    assert key not in row
    assert staff_otp.readable_key(key).replace(" ", "") not in row
    assert StaffTOTPDevice.objects.get(pk=device.pk).key == key
    assert device.verify_token(totp_code(key))


def test_the_migration_moves_clear_secrets_encrypted_and_keeps_their_state():
    staff = make_staff(authenticator=False)
    key = staff_otp.new_key()
    TOTPDevice.objects.create(user=staff, name="身份验证器", key=key, confirmed=True, last_t=42)

    migration.encrypt_secrets(apps, None)

    assert not TOTPDevice.objects.exists()
    device = StaffTOTPDevice.objects.get(user=staff)
    assert device.key == key
    assert device.last_t == 42
    assert key not in stored_row("accounts_stafftotpdevice", device.pk)


# Rotation ---------------------------------------------------------------------------------------


def test_reencrypting_moves_every_secret_to_the_new_key(settings, old_key):
    staff = make_staff(authenticator=False)
    secret = staff_otp.new_key()
    give_authenticator(staff, key=secret)
    plan = make_plan()
    applicant = make_applicant()
    number = applicant.id_number
    spouse = id_number_for(date(1995, 8, 16), female=True)
    info = make_info(
        applicant, plan, members=[("李华", "spouse", spouse)], marital_status="married"
    )
    draft = ApplicationDraft.objects.create(
        applicant=applicant,
        plan=make_plan(),
        data={"fields": {}, "members": [{"name": "李华", "id_token": crypto.encrypt(spouse)}]},
    )
    new_key = Fernet.generate_key().decode()
    settings.ID_NUMBER_KEYS = [new_key, old_key]

    call_command("reencrypt_id_numbers")

    settings.ID_NUMBER_KEYS = [new_key]
    assert User.objects.get(pk=applicant.pk).id_number == number
    assert ApplicationInfo.objects.get(pk=info.pk).id_number == number
    assert FamilyMember.objects.get(info=info).id_number == spouse
    draft.refresh_from_db()
    assert crypto.decrypt(draft.data["members"][0]["id_token"]) == spouse
    assert StaffTOTPDevice.objects.get(user=staff).key == secret
    assert crypto.key_problems() == []


def test_a_new_hmac_key_recomputes_the_household_digests_too(settings):
    plan = make_plan()
    applicant = make_applicant()
    spouse = id_number_for(date(1995, 8, 16), female=True)
    make_info(applicant, plan, members=[("李华", "spouse", spouse)], marital_status="married")
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    settings.ID_NUMBER_HMAC_KEY = "a-new-hmac-key-with-more-than-thirty-two-characters"

    call_command("reencrypt_id_numbers")

    digests = set(registration.household.values_list("id_number_digest", flat=True))
    assert digests == {crypto.digest(applicant.id_number), crypto.digest(spouse)}
    assert HouseholdMember.objects.filter(is_applicant=True).get().id_number_digest == (
        User.objects.get(pk=applicant.pk).id_number_digest
    )


# The key canary ----------------------------------------------------------------------------------


@pytest.fixture
def data_under_the_old_key(old_key):
    applicant = make_applicant()
    make_info(applicant, make_plan())
    give_authenticator(make_staff(authenticator=False))
    return applicant


def test_the_right_keys_raise_nothing(data_under_the_old_key):
    assert crypto.key_problems() == []


def test_an_empty_database_raises_nothing():
    assert crypto.key_problems() == []


def test_a_wrong_key_is_named(settings, data_under_the_old_key):
    settings.ID_NUMBER_KEYS = [Fernet.generate_key().decode()]

    problems = crypto.key_problems()

    assert problems
    assert all("ID_NUMBER_KEYS" in problem for problem in problems)


def test_a_wrong_hmac_key_is_named(settings, data_under_the_old_key):
    settings.ID_NUMBER_HMAC_KEY = "another-hmac-key-with-more-than-thirty-two-chars"

    problems = crypto.key_problems()

    assert any("ID_NUMBER_HMAC_KEY" in problem for problem in problems)


def test_readyz_fails_with_a_wrong_key(client, settings, data_under_the_old_key):
    assert client.get("/readyz").status_code == 200
    settings.ID_NUMBER_KEYS = [Fernet.generate_key().decode()]
    crypto.forget_checked_keys()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert "id_number_keys" in response.content.decode()


def test_check_deploy_names_the_wrong_key(settings, data_under_the_old_key):
    assert not [m for m in run_checks(include_deployment_checks=True) if m.id == "rentcenter.E001"]
    settings.ID_NUMBER_KEYS = [Fernet.generate_key().decode()]

    errors = [m for m in run_checks(include_deployment_checks=True) if m.id == "rentcenter.E001"]

    assert errors  # one per kind of value the key no longer reads
    assert all("ID_NUMBER_KEYS cannot decrypt" in error.msg for error in errors)


def test_a_page_meeting_a_wrong_key_answers_the_chinese_503_not_a_500(
    client, settings, data_under_the_old_key
):
    client.raise_request_exception = False
    client.force_login(data_under_the_old_key)
    assert client.get("/accounts/profile/").status_code == 200
    settings.ID_NUMBER_KEYS = [Fernet.generate_key().decode()]

    response = client.get("/accounts/profile/")

    assert response.status_code == 503
    assert "系统繁忙" in response.content.decode()
