"""applications.registration.plans_state: what one applicant has done for some plans."""

import pytest

from applications.models import Progress
from applications.registration import NO_STATE, plans_state, register
from tests.factories import make_applicant, make_info, make_plan

pytestmark = pytest.mark.django_db


def test_submitted_registered_and_cancelled(django_assert_num_queries):
    applicant, other = make_applicant(), make_applicant()
    untouched, submitted, registered, cancelled = (make_plan() for _ in range(4))
    for plan in (submitted, registered, cancelled):
        make_info(applicant, plan, documents=[])
    for plan in (registered, cancelled):
        register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    cancelled.registrations.get().cancel(by=applicant)
    make_info(other, untouched, documents=[])
    register(applicant=other, plan=untouched, offering=untouched.plan_projects.get())

    ids = [untouched.pk, submitted.pk, registered.pk, cancelled.pk]
    with django_assert_num_queries(1):
        state = plans_state(applicant, ids)
    assert state.submitted == {submitted.pk, registered.pk, cancelled.pk}
    assert state.registered == {registered.pk: Progress.REGISTERED}


def test_the_progress_follows_the_review():
    applicant, reviewer = make_applicant(), make_applicant()
    plan = make_plan()
    make_info(applicant, plan, documents=[])
    registration = register(
        applicant=applicant, plan=plan, offering=plan.plan_projects.get()
    ).registration
    registration.start_review(by=reviewer)
    registration.reject(by=reviewer, reason="材料不清晰")
    assert plans_state(applicant, [plan.pk]).registered == {plan.pk: Progress.REJECTED}


def test_no_plans_no_query(django_assert_num_queries):
    applicant = make_applicant()
    with django_assert_num_queries(0):
        assert plans_state(applicant, []) == NO_STATE


def test_a_rejection_shows_its_reason_until_a_new_registration_takes_its_place(
    django_assert_num_queries,
):
    applicant, reviewer = make_applicant(), make_applicant()
    plan = make_plan()
    make_info(applicant, plan, documents=[])
    offering = plan.plan_projects.get()
    registration = register(applicant=applicant, plan=plan, offering=offering).registration
    registration.start_review(by=reviewer)
    registration.reject(by=reviewer, reason="材料不清晰")
    with django_assert_num_queries(1):
        state = plans_state(applicant, [plan.pk])
    assert state.rejected == {plan.pk: "材料不清晰"}

    register(applicant=applicant, plan=plan, offering=offering)
    state = plans_state(applicant, [plan.pk])
    assert state.registered == {plan.pk: Progress.REGISTERED}
    assert state.rejected == {}
