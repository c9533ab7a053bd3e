"""The production path: tasks on Redis (django-tasks-rq) run by the outbox's RQ worker class.
Needs Redis (REDIS_URL); the worker runs in this process (RQ's SimpleWorker) for the test."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from rq import SimpleWorker

from messaging import outbox
from messaging.models import OutboxMessage
from messaging.rqworker import OutboxMixin
from rentcenter import sms

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL)"),
    pytest.mark.django_db(transaction=True),
]

RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["high", "default"]}}


class InProcessWorker(OutboxMixin, SimpleWorker):
    pass


@pytest.fixture
def queues(settings):
    import django_rq

    settings.TASKS = RQ_TASKS
    queues = [django_rq.get_queue(name) for name in ("high", "default")]
    for queue in queues:
        queue.empty()
    yield queues
    for queue in queues:
        queue.empty()


def run_worker() -> None:
    import django_rq

    django_rq.get_worker("high", "default", worker_class=InProcessWorker).work(burst=True)


def test_a_text_goes_on_redis_at_commit_and_the_worker_sends_it(queues, now):
    _high, default = queues
    with transaction.atomic():
        message = outbox.queue_text(
            phone="+8613800138000", text="您已成功登记", kind=OutboxMessage.Kind.REGISTRATION
        )
        assert default.count == 0
    assert default.count == 1
    run_worker()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert [m.text for m in sms.outbox] == ["您已成功登记"]


def test_the_worker_sweeps_up_texts_whose_task_was_lost(queues, now):
    lost = OutboxMessage.objects.create(
        phone="+8613800138000",
        text="您已成功登记",
        kind=OutboxMessage.Kind.REGISTRATION,
        next_attempt_at=now - timedelta(minutes=10),
    )
    run_worker()  # its first maintenance enqueues the sweep, which enqueues the row
    lost.refresh_from_db()
    assert lost.status == OutboxMessage.Status.SENT


def test_the_production_worker_runs_the_scheduler_for_retries(queues):
    import django_rq

    worker = django_rq.get_worker("high", "default")
    assert type(worker).__name__ == "OutboxWorker"
    assert worker.maintenance_interval == settings.OUTBOX_SWEEP_SECONDS
    assert worker.job_class.__module__ == "django_tasks_rq.backend"


def test_the_production_worker_runs_jobs_in_its_process_between_connection_checks(
    queues, monkeypatch
):
    """No fork and no new database connection for each text; stale connections are closed
    around every job, as around a request, so the worker outlives a database restart."""
    import django_rq

    from messaging import rqworker

    worker = django_rq.get_worker("high", "default")
    assert isinstance(worker, SimpleWorker)
    calls = []
    monkeypatch.setattr(rqworker, "close_old_connections", lambda: calls.append("check"))
    monkeypatch.setattr(SimpleWorker, "execute_job", lambda self, job, queue: calls.append("job"))
    worker.execute_job(None, None)
    assert calls == ["check", "job", "check"]


def test_the_production_worker_starts_the_days_purge(queues, settings):
    from privacy.models import PurgeRun

    settings.RETENTION_PURGE_HOUR = 0
    run_worker()  # its first maintenance enqueues the purge on `default`, then runs it
    assert PurgeRun.objects.count() == 1
    run_worker()  # the same day: not again
    assert PurgeRun.objects.count() == 1
