"""填报编号 (issue 12): one number for every version of an applicant's form for a plan."""

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse

from applications.models import ApplicationInfo
from tests.applications.test_fill import fill_url, form_data
from tests.factories import make_applicant, make_info, make_plan

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "applications.migrations.0006_stable_reference_rejected_registrations"
)


def test_a_new_version_keeps_the_number_and_shows_its_version(client):
    applicant, plan = make_applicant(), make_plan()
    first = make_info(applicant, plan, employer="旧单位")
    client.force_login(applicant)

    response = client.post(fill_url(plan), form_data(employer="新单位"))

    second = ApplicationInfo.objects.get(plan=plan, version=2)
    assert second.reference == first.reference
    assert response.url == reverse("applications:submitted", args=[plan.pk, first.reference])
    confirmation = client.get(response.url).content.decode()
    assert first.reference in confirmation
    assert "第 2 版" in confirmation
    assert "新单位" in client.get(reverse("applications:info", args=[plan.pk])).content.decode()


def test_another_plan_gets_its_own_number():
    applicant = make_applicant()
    first, second = make_info(applicant, make_plan()), make_info(applicant, make_plan())
    assert first.reference != second.reference


def test_two_applicants_cannot_share_a_number():
    plan = make_plan()
    taken, other = make_info(make_applicant(), plan), make_info(make_applicant(), plan)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationInfo.objects.filter(pk=other.pk).update(reference=taken.reference)


def test_migration_gives_later_versions_their_first_number():
    applicant, plan = make_applicant(), make_plan()
    first, second, third = (make_info(applicant, plan) for _ in range(3))
    ApplicationInfo.objects.filter(pk=second.pk).update(reference="TB20260101AAAAAA")
    ApplicationInfo.objects.filter(pk=third.pk).update(reference="TB20260102BBBBBB")
    untouched = make_info(make_applicant(), plan)

    migration.share_first_reference(apps, None)

    references = dict(ApplicationInfo.objects.values_list("pk", "reference"))
    assert references[second.pk] == references[third.pk] == first.reference
    assert references[untouched.pk] == untouched.reference
