"""The SMS outbox (messaging/outbox.py): a text is a row first, sent once after commit."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from messaging import outbox
from messaging.models import OutboxMessage
from messaging.tasks import send_texts
from rentcenter import sms
from tests.clock import MORNING

pytestmark = pytest.mark.django_db

Status, Kind = OutboxMessage.Status, OutboxMessage.Kind
PHONE = "+8613800138000"
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["high", "default"]}
}


class Refusing:
    """A gateway that refuses every text, as a down provider does."""

    calls = 0

    def send(self, message: sms.SmsMessage) -> str:
        Refusing.calls += 1
        raise sms.SmsError("gateway answered 500")


@pytest.fixture
def database_tasks(settings):
    """Tasks wait in the database for a worker, as with `make run`. (Through the settings
    fixture: an override_settings decorator would be undone out of order with its changes.)"""
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def refusing(monkeypatch):
    Refusing.calls = 0
    monkeypatch.setitem(sms.BACKENDS, "locmem", Refusing)
    return Refusing


def queue(text: str = "您已成功登记", kind: str = Kind.REGISTRATION, **kw) -> OutboxMessage:
    return outbox.queue_text(phone=PHONE, text=text, kind=kind, **kw)


def test_the_row_is_written_in_the_transaction_and_sent_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(reference="PZ123")
        assert OutboxMessage.objects.get().status == Status.PENDING
        assert sms.outbox == []
    assert [(m.phone, m.text) for m in sms.outbox] == [(PHONE, "您已成功登记")]
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.claimed_until is None


def test_a_rolled_back_change_writes_no_row_and_texts_nobody(django_capture_on_commit_callbacks):
    def queue_then_fail() -> None:
        with transaction.atomic():
            queue()
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        queue_then_fail()
    assert not OutboxMessage.objects.exists()
    assert sms.outbox == []


def test_a_task_run_twice_sends_once():
    message = queue()  # the test's transaction never commits: nothing is enqueued
    send_texts.call([message.pk])
    send_texts.call([message.pk])
    assert len(sms.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)


@time_machine.travel(MORNING, tick=False)
def test_a_row_held_by_a_worker_is_left_alone_until_its_lease_runs_out(settings):
    message = queue()
    [held] = outbox.claim([message.pk], now=MORNING)  # a worker that then died
    assert outbox.claim([message.pk], now=MORNING) == []
    send_texts.call([message.pk])
    assert sms.outbox == []
    with time_machine.travel(MORNING + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)):
        send_texts.call([message.pk])
    assert len(sms.outbox) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2  # the dead worker's attempt is counted
    assert held.claimed_by != message.claimed_by


@time_machine.travel(MORNING, tick=False)
def test_a_refused_text_waits_longer_after_each_failure_then_fails(refusing):
    message = queue()
    waits = []
    for _attempt in range(outbox.NOTICE_POLICY.attempts - 1):
        send_texts.call([message.pk])
        message.refresh_from_db()
        assert message.status == Status.PENDING
        assert message.error == "gateway answered 500"
        waits.append(message.next_attempt_at - MORNING)
    assert waits[:3] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
    assert waits[-1] == timedelta(minutes=32)
    send_texts.call([message.pk])
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == outbox.NOTICE_POLICY.attempts
    send_texts.call([message.pk])  # a failed text is not tried again by a stray task
    assert refusing.calls == outbox.NOTICE_POLICY.attempts


def test_codes_give_up_sooner_than_notices():
    assert outbox.CODE_POLICY.attempts < outbox.NOTICE_POLICY.attempts
    assert outbox.CODE_POLICY.wait(1) == timedelta(seconds=10)
    assert outbox.CODE_POLICY.wait(5) == timedelta(minutes=1)


def test_the_sweep_sends_texts_whose_task_was_lost(settings):
    with time_machine.travel(MORNING, tick=False):
        lost = queue()  # committed, but its task never ran (the test transaction)
        recent = queue()
    later = MORNING + timedelta(seconds=settings.OUTBOX_STRANDED_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        recent.next_attempt_at = later
        recent.save()
        assert outbox.requeue_stranded() == 1
        assert outbox.requeue_stranded() == 0  # the requeued row is due afresh
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert (lost.status, recent.status) == (Status.SENT, Status.PENDING)


def test_a_draws_texts_go_in_batches(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(outbox, "BATCH_SIZE", 2)
    batches = []
    monkeypatch.setattr(outbox, "enqueue", lambda ids, **kw: batches.append((list(ids), kw)))
    with django_capture_on_commit_callbacks(execute=True):
        count = outbox.queue_texts(
            [(f"+861380013800{n}", f"第{n}条") for n in range(5)],
            kind=Kind.DRAW,
            reference="draw:7",
        )
    assert count == 5
    assert [len(ids) for ids, _kw in batches] == [2, 2, 1]
    assert {kw["queue"] for _ids, kw in batches} == {"default"}
    assert outbox.progress("draw:7") == outbox.Progress(sent=0, pending=5, failed=0)


@pytest.mark.usefixtures("database_tasks")
def test_a_code_is_sent_at_once_by_a_local_backend_even_with_a_queue(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        queue("您的验证码为123456", kind=Kind.CODE)
    assert [m.text for m in sms.outbox] == ["您的验证码为123456"]
    assert not DBTaskResult.objects.exists()


@pytest.mark.usefixtures("database_tasks")
def test_with_a_real_gateway_codes_go_on_the_high_queue_and_notices_on_default(
    settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/send"
    settings.SMS_GATEWAY_KEY = "k"
    with django_capture_on_commit_callbacks(execute=True):
        queue("您的验证码为123456", kind=Kind.CODE)
        queue("您已成功登记")
    assert sorted(DBTaskResult.objects.values_list("queue_name", flat=True)) == [
        "default",
        "high",
    ]
    assert OutboxMessage.objects.filter(status=Status.PENDING).count() == 2


@pytest.mark.usefixtures("database_tasks")
@time_machine.travel(MORNING, tick=False)
def test_a_retry_is_enqueued_for_when_it_is_due(refusing):
    message = queue()
    send_texts.call([message.pk])
    [retry] = DBTaskResult.objects.all()
    assert retry.run_after == MORNING + timedelta(seconds=30)
    assert retry.queue_name == "default"


def test_demo_texts_are_kept_in_memory(settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "console"
    with outbox.kept_in_memory(), django_capture_on_commit_callbacks(execute=True):
        queue()
    assert OutboxMessage.objects.get().status == Status.SENT
    assert len(sms.outbox) == 1


def test_only_the_outbox_hands_texts_to_the_gateway():
    """Acceptance of issue 11: no request sends a text itself; every text is an outbox row."""
    from pathlib import Path

    from django.conf import settings

    callers = []
    for app in ("accounts", "applications", "lottery", "messaging", "plans", "projects"):
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if "sms.send(" in source or ("import send" in source and "rentcenter.sms" in source):
                callers.append(str(path.relative_to(settings.BASE_DIR)))
    assert callers == ["messaging/outbox.py"]


def test_a_codes_text_is_cleared_once_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        code = queue("您的验证码为123456", kind=Kind.CODE)
        notice = queue("您已成功登记")
    assert sorted(m.text for m in sms.outbox) == ["您已成功登记", "您的验证码为123456"]
    code.refresh_from_db()
    notice.refresh_from_db()
    assert code.status == Status.SENT
    assert "123456" not in code.text
    assert notice.text == "您已成功登记"


def test_a_failed_codes_text_is_cleared_too(refusing):
    code = queue("您的验证码为123456", kind=Kind.CODE)
    for _attempt in range(outbox.CODE_POLICY.attempts):
        send_texts.call([code.pk])
    code.refresh_from_db()
    assert code.status == Status.FAILED
    assert "123456" not in code.text
