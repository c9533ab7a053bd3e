"""applications/migrations/0008: ID numbers stored before they were normalised (issue 17,
finding 1) are checked again. One written with another script's digits is rewritten in ASCII
when that makes it nobody else's; a pair that becomes one number is reported, never merged."""

import importlib

import pytest
from django.apps import apps

from accounts.models import User
from applications.models import ApplicationInfo, FamilyMember, HouseholdMember
from applications.registration import register
from rentcenter import crypto
from tests.factories import make_applicant, make_info, make_plan, make_user

pytestmark = pytest.mark.django_db

migration = importlib.import_module("applications.migrations.0008_id_numbers_normalised")

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"


def odd(number: str, position: int = 8) -> str:
    """The same number with one digit written in Arabic-Indic, as the old check let through."""
    return number[:position] + ARABIC_INDIC[int(number[position])] + number[position + 1 :]


def store_on_user(user: User, number: str) -> None:
    """What verify_real_name stored before: the number as it passed, encrypted and digested."""
    User.objects.filter(pk=user.pk).update(
        id_number_encrypted=crypto.encrypt(number), id_number_digest=crypto.digest(number)
    )


def run(capsys) -> str:
    migration.recheck_id_numbers(apps, None)
    return capsys.readouterr().out


def test_an_empty_database_is_checked_without_a_word(capsys):
    assert run(capsys) == ""


def test_a_number_in_other_digits_that_collides_with_nobody_is_rewritten(capsys):
    user = make_applicant()
    number = user.id_number
    store_on_user(user, odd(number))

    out = run(capsys)

    user.refresh_from_db()
    assert user.id_number == number
    assert user.id_number_digest == crypto.digest(number)
    assert "1 个证件号码已改写为半角数字" in out


def test_two_accounts_that_become_one_number_are_reported_not_merged(capsys):
    first = make_applicant()
    second = make_user()
    store_on_user(second, odd(first.id_number))
    User.objects.filter(pk=second.pk).update(
        real_name="张三", real_name_verified_at=first.real_name_verified_at
    )

    out = run(capsys)

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.id_number == odd(first.id_number)  # left for 客服 to decide
    assert first.has_real_name
    assert second.has_real_name
    assert f"账号 {first.pk} 与账号 {second.pk}" in out
    assert "同一证件号码" in out


def test_info_versions_and_family_members_are_rewritten_and_households_recounted(capsys):
    plan = make_plan()
    applicant, spouse = make_applicant(), make_applicant()
    info = make_info(
        applicant,
        plan,
        members=[("李梅", "spouse", odd(spouse.id_number, 12))],
        marital_status="married",
    )
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    assert registration.household.count() == 2

    out = run(capsys)

    member = FamilyMember.objects.get(info=info)
    assert member.id_number == spouse.id_number
    digests = set(registration.household.values_list("id_number_digest", flat=True))
    assert digests == {crypto.digest(applicant.id_number), crypto.digest(spouse.id_number)}
    assert "1 个证件号码已改写为半角数字" in out


def test_a_household_that_becomes_another_registrations_member_is_reported(capsys):
    """The spouse registered herself; her husband had listed her with one odd digit."""
    plan = make_plan()
    applicant, spouse = make_applicant(), make_applicant()
    make_info(
        applicant,
        plan,
        members=[("李梅", "spouse", odd(spouse.id_number))],
        marital_status="married",
    )
    first = register(applicant=applicant, plan=plan, offering=plan.plan_projects.get()).registration
    make_info(spouse, plan)
    second = register(applicant=spouse, plan=plan, offering=plan.plan_projects.get()).registration

    out = run(capsys)

    assert f"登记 {first.number} 与登记 {second.number}" in out
    # Both stay active, each with its place; the reviewers decide.
    assert HouseholdMember.objects.filter(active=True).count() == 3
    assert ApplicationInfo.objects.count() == 2


def test_the_applicant_listed_as_their_own_family_member_is_reported(capsys):
    applicant = make_applicant()
    info = make_info(applicant, make_plan(), members=[("本人", "other", odd(applicant.id_number))])

    out = run(capsys)

    assert f"填报 {info.reference}（第 1 版）" in out
    assert "申请人本人" in out


def test_a_row_the_keys_cannot_read_is_reported_and_left(capsys):
    user = make_applicant()
    User.objects.filter(pk=user.pk).update(id_number_encrypted="not-a-token")

    out = run(capsys)

    assert f"账号 {user.pk}" in out
    assert "无法解密" in out
