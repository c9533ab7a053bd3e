"""Registering, cancelling and submitting when many requests arrive at once.

The threaded tests run on PostgreSQL only: SQLite serialises writers, so it cannot show a race.
Each thread is one request with its own database connection, closed when it is done; a
barrier starts them together. PostgreSQL here allows 100 connections shared with whatever else
runs, so at most CONNECTIONS threads hold one at a time, as a web server's bounded workers
would: the rest wait at the door, not at the database.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from accounts.models import User
from applications import drafts
from applications.forms import InfoForm
from applications.models import (
    ApplicationDraft,
    ApplicationInfo,
    InvalidTransition,
    Progress,
    Registration,
    RegistrationEvent,
)
from applications.registration import register, registered_counts
from plans.models import Plan, PlanProject
from rentcenter import sms
from tests.factories import INFO_FIELDS, make_applicant, make_info, make_plan

CONNECTIONS = 50


def run_together(count: int, work: Callable[[int], object]) -> tuple[list, list[BaseException]]:
    """Run work(0) … work(count - 1) in threads released at the same moment; their results
    (None where it raised) and what they raised."""
    barrier = threading.Barrier(count)
    slots = threading.BoundedSemaphore(CONNECTIONS)
    results: list = [None] * count
    errors: list[BaseException] = []

    def thread(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            with slots:
                try:
                    results[index] = work(index)
                finally:
                    connection.close()
        except BaseException as error:  # every failure is the test's to report
            errors.append(error)

    threads = [threading.Thread(target=thread, args=(index,)) for index in range(count)]
    for each in threads:
        each.start()
    for each in threads:
        each.join(timeout=120)
    assert not any(each.is_alive() for each in threads), "a thread did not finish"
    return results, errors


@pytest.fixture
def texts(settings) -> list[sms.SmsMessage]:
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def register_fresh(applicant_id: int, plan_id: int, offering_id: int):
    """What one 立即登记 request does: load its own objects, then register."""
    return register(
        applicant=User.objects.get(pk=applicant_id),
        plan=Plan.objects.get(pk=plan_id),
        offering=PlanProject.objects.select_related("project").get(pk=offering_id),
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_registrations_of_one_applicant_make_one(texts):
    applicant = make_applicant()
    plan = make_plan()
    make_info(applicant, plan, documents=[])
    offering = plan.plan_projects.get()

    outcomes, errors = run_together(
        50, lambda _: register_fresh(applicant.pk, plan.pk, offering.pk)
    )

    assert errors == []
    registration = Registration.objects.get(plan=plan)
    assert {outcome.registration.pk for outcome in outcomes} == {registration.pk}
    assert sum(outcome.created for outcome in outcomes) == 1
    assert RegistrationEvent.objects.filter(registration=registration).count() == 1
    assert registered_counts([offering.pk]) == {offering.pk: 1}
    assert [message.phone for message in texts] == [applicant.phone.as_e164]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_hundred_applicants_registering_at_once_are_all_counted(texts):
    plan = make_plan()
    offering = plan.plan_projects.get()
    applicants = [make_applicant() for _ in range(200)]
    for applicant in applicants:
        make_info(applicant, plan, documents=[])

    started = time.perf_counter()
    outcomes, errors = run_together(
        200, lambda index: register_fresh(applicants[index].pk, plan.pk, offering.pk)
    )
    elapsed = time.perf_counter() - started

    assert errors == []
    assert all(outcome.created for outcome in outcomes)
    assert Registration.objects.filter(plan=plan).count() == 200
    assert len({outcome.registration.number for outcome in outcomes}) == 200
    assert len({outcome.registration.verification_code for outcome in outcomes}) == 200
    assert registered_counts([offering.pk]) == {offering.pk: 200}
    assert len(texts) == 200
    print(f"\n200 registrations at once: {elapsed:.2f} s")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_registrations_for_one_project_do_not_wait_for_each_other(texts):
    """Two applicants registering for the same project at the same moment touch no common row:
    while the first registration's transaction is still open, the second commits without
    waiting for a lock (a shared counter row would make every registration of a project queue
    behind the one before it)."""
    plan = make_plan()
    offering = plan.plan_projects.get()
    first, second = make_applicant(), make_applicant()
    for applicant in (first, second):
        make_info(applicant, plan, documents=[])
    first_registered, first_may_commit = threading.Event(), threading.Event()

    def hold_first_open(index: int):
        if index == 0:
            with transaction.atomic():
                outcome = register_fresh(first.pk, plan.pk, offering.pk)
                first_registered.set()
                assert first_may_commit.wait(timeout=30)
            return outcome
        assert first_registered.wait(timeout=30)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '500ms'")
                return register_fresh(second.pk, plan.pk, offering.pk)
        finally:
            first_may_commit.set()

    outcomes, errors = run_together(2, hold_first_open)

    assert errors == []
    assert all(outcome.created for outcome in outcomes)
    assert registered_counts([offering.pk]) == {offering.pk: 2}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancels_racing_on_one_registration_count_down_once():
    applicant = make_applicant()
    plan = make_plan()
    make_info(applicant, plan, documents=[])
    offering = plan.plan_projects.get()
    registration = register(applicant=applicant, plan=plan, offering=offering).registration

    def cancel(_):
        Registration.objects.get(pk=registration.pk).cancel(by=User.objects.get(pk=applicant.pk))

    _, errors = run_together(10, cancel)

    assert len(errors) == 9
    assert all(isinstance(error, InvalidTransition) for error in errors), errors
    registration.refresh_from_db()
    assert registration.progress == Progress.CANCELLED
    assert registration.events.filter(to_progress=Progress.CANCELLED).count() == 1
    assert registered_counts([offering.pk]) == {offering.pk: 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_of_one_draft_make_one_version():
    applicant = make_applicant()
    plan = make_plan()
    draft = ApplicationDraft.objects.create(applicant=applicant, plan=plan)
    # Each request has loaded the draft before either submits (as two tabs would); loading it
    # inside the threads would let the first submit delete it before the second had read it.
    loaded = [
        ApplicationDraft.objects.select_related("applicant", "plan").get(pk=draft.pk)
        for _ in range(2)
    ]

    def submit(index):
        return drafts.submit(draft=loaded[index], form=valid_form(plan), members=[])

    results, errors = run_together(2, submit)

    assert errors == []
    info = ApplicationInfo.objects.get(applicant=applicant, plan=plan)
    assert sorted(result.created for result in results) == [False, True]
    assert {result.info.pk for result in results} == {info.pk}


# Sequential, on every database -------------------------------------------------------------------


def valid_form(plan: Plan) -> InfoForm:
    form = InfoForm({name: str(value) for name, value in INFO_FIELDS.items()}, plan=plan)
    assert form.is_valid(), form.errors
    return form


@pytest.mark.django_db
def test_register_cancel_and_register_again_counts_one():
    applicant = make_applicant()
    plan = make_plan()
    make_info(applicant, plan, documents=[])
    offering = plan.plan_projects.get()

    first = register(applicant=applicant, plan=plan, offering=offering).registration
    first.cancel(by=applicant)
    again = register(applicant=applicant, plan=plan, offering=offering)

    assert again.created
    assert again.registration.pk != first.pk
    assert again.registration.number != first.number
    first.refresh_from_db()
    assert first.progress == Progress.CANCELLED  # kept in 配租记录
    assert Registration.objects.filter(plan=plan).active().get() == again.registration
    assert registered_counts([offering.pk]) == {offering.pk: 1}


@pytest.mark.django_db
def test_registering_twice_in_a_row_gives_the_same_registration():
    applicant = make_applicant()
    plan = make_plan()
    make_info(applicant, plan, documents=[])
    offering = plan.plan_projects.get()

    first = register(applicant=applicant, plan=plan, offering=offering)
    second = register(applicant=applicant, plan=plan, offering=offering)

    assert (first.created, second.created) == (True, False)
    assert second.registration == first.registration
    assert registered_counts([offering.pk]) == {offering.pk: 1}


@pytest.mark.django_db
def test_cancelling_twice_in_a_row_counts_down_once():
    applicant = make_applicant()
    plan = make_plan()
    make_info(applicant, plan, documents=[])
    offering = plan.plan_projects.get()
    registration = register(applicant=applicant, plan=plan, offering=offering).registration
    stale_copy = Registration.objects.get(pk=registration.pk)

    registration.cancel(by=applicant)
    with pytest.raises(InvalidTransition):
        stale_copy.cancel(by=applicant)

    assert registered_counts([offering.pk]) == {offering.pk: 0}


@pytest.mark.django_db
def test_submitting_one_draft_twice_makes_one_version():
    applicant = make_applicant()
    plan = make_plan()
    draft = ApplicationDraft.objects.create(applicant=applicant, plan=plan)
    same_draft_in_another_tab = ApplicationDraft.objects.get(pk=draft.pk)

    first = drafts.submit(draft=draft, form=valid_form(plan), members=[])
    second = drafts.submit(draft=same_draft_in_another_tab, form=valid_form(plan), members=[])

    assert (first.created, second.created) == (True, False)
    assert second.info == first.info
    assert ApplicationInfo.objects.filter(applicant=applicant, plan=plan).count() == 1


@pytest.mark.django_db
def test_a_form_posted_again_after_its_version_exists_makes_no_second_version():
    applicant = make_applicant()
    plan = make_plan()
    first_draft = ApplicationDraft.objects.create(applicant=applicant, plan=plan)
    first = drafts.submit(draft=first_draft, form=valid_form(plan), members=[], submission_key="k")
    # The second post of the same form re-saved the draft it had loaded before the first
    # post deleted it.
    again_draft = ApplicationDraft.objects.create(applicant=applicant, plan=plan)
    again = drafts.submit(draft=again_draft, form=valid_form(plan), members=[], submission_key="k")
    assert (again.info, again.created) == (first.info, False)
    assert ApplicationInfo.objects.filter(applicant=applicant, plan=plan).count() == 1
    assert not ApplicationDraft.objects.exists()
