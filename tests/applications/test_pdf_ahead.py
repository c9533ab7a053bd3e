"""导出 PDF reads a file a worker rendered ahead (applications/tasks.py): the record page, where
the button is, asks for the record's PDF once per state of the registration; registering and
deciding render nothing."""

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from applications import pdf, review, tasks
from applications.models import InvalidTransition, Registration
from applications.registration import register
from applications.tasks import render_record_pdf
from tests.clock import beijing
from tests.factories import make_applicant, make_info, make_plan, make_user

pytestmark = pytest.mark.django_db

REGISTERED_AT = beijing(2026, 6, 1, 9, 0, 5)


@pytest.fixture
def ahead(settings):
    settings.RECORD_PDF_AHEAD = True


@pytest.fixture
def rendered(monkeypatch):
    """The HTML of every record WeasyPrint renders, still rendering it."""
    calls: list[str] = []
    render = pdf.render_pdf

    def counting(html: str) -> bytes:
        calls.append(html)
        return render(html)

    monkeypatch.setattr(pdf, "render_pdf", counting)
    return calls


def registered(django_capture_on_commit_callbacks) -> Registration:
    applicant = make_applicant()
    plan = make_plan()
    make_info(applicant, plan)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = register(applicant=applicant, plan=plan, offering=plan.plan_projects.get())
    return outcome.registration


def client_of(registration: Registration) -> Client:
    client = Client()
    client.force_login(registration.applicant)
    return client


def open_record(registration: Registration, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(registration).get(registration.get_absolute_url())
    assert response.status_code == 200
    assert "导出 PDF" in response.content.decode()


def asked_for(monkeypatch) -> list[int]:
    """The registrations whose rendering is enqueued from now on (none is rendered)."""
    asked: list[int] = []
    monkeypatch.setattr(tasks, "render_record_pdf", SimpleNamespace(enqueue=asked.append))
    return asked


def export(registration: Registration) -> bytes:
    response = client_of(registration).get(
        reverse("applications:record_pdf", args=[registration.number])
    )
    assert response.status_code == 200
    return response.content


def test_registering_renders_nothing(ahead, rendered, django_capture_on_commit_callbacks):
    registered(django_capture_on_commit_callbacks)
    assert rendered == []


def test_opening_the_record_renders_it_ahead_of_the_export(
    ahead, rendered, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(REGISTERED_AT, tick=False)
    registration = registered(django_capture_on_commit_callbacks)
    time_machine.move_to(beijing(2026, 6, 1, 9, 2), tick=False)
    open_record(registration, django_capture_on_commit_callbacks)
    assert len(rendered) == 1  # by the task, after the page
    assert registration.number in rendered[0]

    time_machine.move_to(beijing(2026, 6, 1, 9, 3), tick=False)
    content = export(registration)
    assert len(rendered) == 1  # the export read the stored file
    assert content.startswith(b"%PDF-")


def test_opening_the_record_again_asks_for_nothing(
    ahead, rendered, django_capture_on_commit_callbacks, monkeypatch
):
    registration = registered(django_capture_on_commit_callbacks)
    asked = asked_for(monkeypatch)
    for _ in range(3):
        open_record(registration, django_capture_on_commit_callbacks)
    assert asked == [registration.pk]


def test_a_decision_is_rendered_when_the_record_is_opened_next(
    ahead, rendered, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(REGISTERED_AT, tick=False)
    registration = registered(django_capture_on_commit_callbacks)
    open_record(registration, django_capture_on_commit_callbacks)
    reviewer = make_user(is_staff=True)
    time_machine.move_to(beijing(2026, 6, 2, 10), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        review.decide(registration, decision="start_review", by=reviewer)
    assert len(rendered) == 1  # the decision renders nothing
    open_record(registration, django_capture_on_commit_callbacks)
    assert len(rendered) == 2
    assert "审核中" in rendered[-1]

    export(registration)
    assert len(rendered) == 2


def test_without_the_setting_nothing_is_rendered_before_an_export(
    settings, rendered, django_capture_on_commit_callbacks
):
    settings.RECORD_PDF_AHEAD = False
    registration = registered(django_capture_on_commit_callbacks)
    open_record(registration, django_capture_on_commit_callbacks)
    assert rendered == []
    export(registration)
    assert len(rendered) == 1


def test_a_refused_decision_asks_for_nothing(
    ahead, rendered, django_capture_on_commit_callbacks, monkeypatch
):
    registration = registered(django_capture_on_commit_callbacks)
    open_record(registration, django_capture_on_commit_callbacks)
    asked = asked_for(monkeypatch)
    reviewer = make_user(is_staff=True)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(InvalidTransition),  # 审核通过 before 开始审核
    ):
        review.decide(registration, decision="approve", by=reviewer)
    open_record(registration, django_capture_on_commit_callbacks)
    assert asked == []  # the same state as before: asked for already


def test_the_task_of_a_registration_that_is_gone_does_nothing(rendered):
    assert render_record_pdf.call(987654) is False
    assert rendered == []
