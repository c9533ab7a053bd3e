"""One family, one registration per plan (issue 12, PRODUCT.md): a person in one active
registration of a plan, as applicant or as 家庭成员, is in no other; compared through the keyed
digest of the ID number, refused without naming the other applicant, re-checked in review."""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from applications.models import HouseholdMember, Progress, Registration
from applications.registration import FamilyRegistered, register
from rentcenter import crypto
from tests.applications.test_concurrency import register_fresh, run_together
from tests.factories import make_applicant, make_info, make_plan, make_staff

pytestmark = pytest.mark.django_db

migration = importlib.import_module("applications.migrations.0007_household_members")


def member_of(person, relation="spouse"):
    return (person.real_name, relation, person.id_number)


def registers(applicant, plan):
    return register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())


def test_the_household_is_stored_as_digests_only():
    plan = make_plan()
    applicant, spouse = make_applicant(name="张三"), make_applicant(name="李梅")
    make_info(applicant, plan, members=[member_of(spouse)], marital_status="married")
    registration = registers(applicant, plan).registration
    rows = {(row.id_number_digest, row.is_applicant) for row in registration.household.all()}
    assert rows == {
        (crypto.digest(applicant.id_number), True),
        (crypto.digest(spouse.id_number), False),
    }
    stored = str(list(HouseholdMember.objects.values()))
    assert applicant.id_number not in stored
    assert spouse.id_number not in stored


def test_a_listed_family_member_cannot_register_as_applicant():
    plan = make_plan()
    applicant, spouse = make_applicant(), make_applicant()
    make_info(applicant, plan, members=[member_of(spouse)], marital_status="married")
    registers(applicant, plan)
    make_info(spouse, plan)
    with pytest.raises(FamilyRegistered):
        registers(spouse, plan)
    assert not Registration.objects.filter(applicant=spouse).exists()


def test_an_applicant_cannot_be_listed_by_someone_else():
    plan = make_plan()
    applicant, relative = make_applicant(), make_applicant()
    make_info(applicant, plan)
    registers(applicant, plan)
    make_info(relative, plan, members=[member_of(applicant, "other")])
    with pytest.raises(FamilyRegistered):
        registers(relative, plan)


def test_two_applicants_cannot_list_the_same_member():
    plan = make_plan()
    first, second, child = (
        make_applicant(),
        make_applicant(),
        make_applicant(birth=date(2015, 1, 1)),
    )
    make_info(first, plan, members=[member_of(child, "child")])
    make_info(second, plan, members=[member_of(child, "child")])
    registers(first, plan)
    with pytest.raises(FamilyRegistered):
        registers(second, plan)


def test_another_plan_or_a_freed_place_is_no_conflict():
    plan, other_plan = make_plan(), make_plan()
    applicant, spouse = make_applicant(), make_applicant()
    make_info(applicant, plan, members=[member_of(spouse)], marital_status="married")
    registration = registers(applicant, plan).registration
    make_info(spouse, other_plan)
    assert registers(spouse, other_plan).created  # one family, one registration *per plan*
    registration.cancel(by=applicant)  # the place is free again; the rows stay
    assert not registration.household.filter(active=True).exists()
    assert registration.household.count() == 2
    make_info(spouse, plan)
    assert registers(spouse, plan).created


def test_the_refusal_names_the_rule_not_the_other_applicant():
    plan = make_plan()
    applicant, spouse = make_applicant(name="王大明"), make_applicant(name="赵小红")
    make_info(applicant, plan, members=[member_of(spouse)], marital_status="married")
    registration = registers(applicant, plan).registration
    make_info(spouse, plan)
    client = Client()
    client.force_login(spouse)
    response = client.post(
        reverse("applications:register", args=[plan.pk]), {"offering": plan.plan_projects.get().pk}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "每个家庭只能登记一次" in html
    for secret in ("王大明", registration.number, applicant.masked_id_number):
        assert secret not in html


def test_reviewers_see_the_conflict_on_the_review_page(client):
    plan = make_plan()
    applicant, spouse = make_applicant(), make_applicant()
    make_info(applicant, plan, members=[member_of(spouse)], marital_status="married")
    first = registers(applicant, plan).registration
    # A conflict the registration could not refuse: rows from before the rule (see migration).
    make_info(spouse, plan)
    second = Registration.objects.create(
        number="PZLEGACY1",
        applicant=spouse,
        plan=plan,
        offering=first.offering,
        info=spouse.application_infos.get(),
        verification_code="LEGACY1",
    )
    HouseholdMember.objects.create(
        registration=second,
        plan=plan,
        id_number_digest=crypto.digest(spouse.id_number),
        is_applicant=True,
        active=False,
    )
    assert list(first.household_conflicts()) == [second]
    assert list(second.household_conflicts()) == [first]
    client.force_login(make_staff(group="资格审核员"))
    html = client.get(
        reverse("admin:applications_registration_change", args=[first.pk])
    ).content.decode()
    assert "家庭重复登记" in html
    assert second.number in html
    second.progress = Progress.CANCELLED
    second.save()
    assert list(first.household_conflicts()) == []


def test_migration_claims_existing_households_and_keeps_conflicts_visible():
    plan = make_plan()
    applicant, spouse = make_applicant(), make_applicant()
    make_info(applicant, plan, members=[member_of(spouse)], marital_status="married")
    first = registers(applicant, plan).registration
    make_info(spouse, plan)
    other = make_applicant()
    make_info(other, plan)
    second = registers(other, plan).registration  # unrelated, to be rewritten as the spouse's
    Registration.objects.filter(pk=second.pk).update(
        applicant=spouse, info=spouse.application_infos.get()
    )
    HouseholdMember.objects.all().delete()  # as before the rule

    migration.claim_existing_households(apps, None)

    assert first.household.filter(active=True).count() == 2
    assert second.household.get().active is False  # the spouse's place was taken first
    assert list(first.household_conflicts()) == [second]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_of_one_family_registering_at_once_one_wins():
    plan = make_plan()
    applicant, spouse = make_applicant(), make_applicant()
    make_info(applicant, plan, members=[member_of(spouse)], marital_status="married")
    make_info(spouse, plan, members=[member_of(applicant)], marital_status="married")
    offering = plan.plan_projects.get()
    people = [applicant, spouse] * 5

    def attempt(index):
        try:
            return register_fresh(people[index].pk, plan.pk, offering.pk)
        except FamilyRegistered:
            return "refused"

    outcomes, errors = run_together(len(people), attempt)

    assert errors == []
    registration = Registration.objects.get(plan=plan)
    assert "refused" in outcomes
    assert HouseholdMember.objects.filter(plan=plan, active=True).count() == 2
    assert {o.registration.pk for o in outcomes if o != "refused"} == {registration.pk}
