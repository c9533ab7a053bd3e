"""Who may read an applicant's documents (issue 17, finding 8): reviewers read any document by
sequential id, including those of applicants who never registered. Need-to-know now: a
reviewer (资格审核员, the review_document permission, past admin's second factor) reads the
documents of a registration in review, that is of the 信息填报 version a registration that is
not cancelled was made with (the registrations of their admin list, 已登记 to 审核不通过);
a plan manager reads none; a superuser any, as before. Staff reads are throttled."""

import pytest
from django.urls import reverse

from applications.models import Progress, Registration
from applications.registration import register
from tests.factories import (
    make_applicant,
    make_document,
    make_info,
    make_plan,
    make_staff,
)

pytestmark = pytest.mark.django_db


def url(document) -> str:
    return reverse("applications:document", args=[document.pk])


def thumbnail(document) -> str:
    return reverse("applications:document_thumbnail", args=[document.pk])


@pytest.fixture
def reviewer(client):
    client.force_login(make_staff(group="资格审核员"))
    return client


def registered(applicant=None, *, progress: str = Progress.REGISTERED):
    """A registration (in `progress`) whose 信息填报 holds one document; the document."""
    applicant = applicant or make_applicant()
    plan = make_plan()
    document = make_document(applicant)
    make_info(applicant, plan, documents=[document])
    registration = register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    reason = "材料不全" if progress == Progress.REJECTED else ""
    Registration.objects.filter(pk=registration.registration.pk).update(
        progress=progress, rejection_reason=reason
    )
    return document


@pytest.mark.parametrize(
    "progress",
    [Progress.REGISTERED, Progress.REVIEWING, Progress.APPROVED, Progress.REJECTED],
)
def test_a_reviewer_reads_the_documents_of_a_registration_in_review(reviewer, progress):
    document = registered(progress=progress)
    assert reviewer.get(url(document)).status_code == 200
    assert reviewer.get(thumbnail(document)).status_code == 200


def test_a_reviewer_cannot_read_an_applicant_who_never_registered(reviewer):
    applicant = make_applicant()
    uploaded = make_document(applicant)  # in a draft only
    submitted = make_document(applicant)
    make_info(applicant, make_plan(), documents=[submitted])  # submitted, not registered

    assert reviewer.get(url(uploaded)).status_code == 404
    assert reviewer.get(url(submitted)).status_code == 404
    assert reviewer.get(thumbnail(submitted)).status_code == 404


def test_a_cancelled_registration_is_no_reason_to_read(reviewer):
    assert reviewer.get(url(registered(progress=Progress.CANCELLED))).status_code == 404


def test_an_earlier_document_no_registration_names_is_not_read(reviewer):
    applicant = make_applicant()
    replaced = make_document(applicant)
    plan = make_plan()
    make_info(applicant, plan, documents=[replaced])
    kept = make_document(applicant)
    make_info(applicant, plan, documents=[kept])  # version 2, the one registered
    register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())

    assert reviewer.get(url(kept)).status_code == 200
    assert reviewer.get(url(replaced)).status_code == 404


def test_a_plan_manager_reads_none(client):
    client.force_login(make_staff(group="配租管理员"))
    assert client.get(url(registered())).status_code == 404


def test_a_superuser_reads_any_as_before(client):
    client.force_login(make_staff(superuser=True))
    assert client.get(url(make_document(make_applicant()))).status_code == 200


def test_the_owner_reads_their_own_whatever_their_state(client):
    applicant = make_applicant()
    client.force_login(applicant)
    assert client.get(url(make_document(applicant))).status_code == 200


def test_staff_reads_are_throttled_the_owners_are_not(client, settings, time_machine):
    settings.STAFF_DOCUMENT_LIMITS = ((3, 600),)
    time_machine.move_to("2026-06-01 10:00:00 +08:00", tick=False)
    document = registered()
    client.force_login(make_staff(group="资格审核员"))
    for _ in range(3):
        assert client.get(url(document)).status_code == 200

    refused = client.get(thumbnail(document))

    assert refused.status_code == 429
    assert "查看材料过于频繁，请于 10:10 后再试" in refused.content.decode()
    assert refused["Retry-After"] == "600"
    time_machine.move_to("2026-06-01 10:10:01 +08:00", tick=False)
    assert client.get(url(document)).status_code == 200
    owner = Registration.objects.get().applicant
    client.force_login(owner)
    for _ in range(5):
        assert client.get(url(document)).status_code == 200


def test_the_reviewers_check_costs_a_fixed_number_of_queries(
    reviewer, django_assert_max_num_queries
):
    documents = [registered() for _ in range(3)]
    for document in documents:
        with django_assert_max_num_queries(10):
            assert reviewer.get(url(document)).status_code == 200


def test_the_review_page_still_shows_every_document(reviewer):
    document = registered()
    registration = Registration.objects.get()
    page = reviewer.get(
        reverse("admin:applications_registration_change", args=[registration.pk])
    ).content.decode()
    assert thumbnail(document) in page or url(document) in page
    assert reviewer.get(thumbnail(document)).status_code == 200
