"""The RQ worker of production (`manage.py rqworker high default`, settings.RQ["WORKER_CLASS"]).

Two things the plain worker does not do, and the outbox needs: it runs RQ's scheduler, so a
retry enqueued with run_after (the outbox's backoff) starts when due; and every
OUTBOX_SWEEP_SECONDS it enqueues the sweep that finds texts whose task was lost with a killed
worker (messaging.outbox.requeue_stranded), with the other rooms' periodic tasks and the day's
tasks once a day (messaging/schedule.py). Several workers each run both: RQ's scheduler
takes a lock, and the sweep only enqueues rows no one holds.
"""

import logging

from django.conf import settings
from django.db import close_old_connections
from rq import SimpleWorker

from messaging import schedule

logger = logging.getLogger(__name__)


class OutboxMixin:
    """What the outbox adds to an RQ worker class."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("maintenance_interval", settings.OUTBOX_SWEEP_SECONDS)
        super().__init__(*args, **kwargs)

    def work(self, *args, **kwargs) -> bool:
        kwargs["with_scheduler"] = True
        return super().work(*args, **kwargs)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        from messaging.tasks import requeue_stranded_texts

        try:
            requeue_stranded_texts.enqueue()
        except Exception:
            logger.exception("The SMS outbox sweep could not be enqueued")
        schedule.enqueue_sweeps()  # the other rooms' periodic tasks (the 选房 queues)
        schedule.enqueue_daily()  # the retention purge


class OutboxWorker(OutboxMixin, SimpleWorker):
    """RQ's worker that runs each job in the worker's own process, with the scheduler and the
    outbox sweep. Not the forking worker: a text is a short job, and a fork with a new PostgreSQL
    connection for each cost more than sending it (and a forked child would load the PDF fonts
    again for every record it renders ahead). As Django does around a request, connections are
    checked before a job and closed after it when stale or broken, so a worker outlives a
    database restart."""

    def execute_job(self, job, queue) -> None:
        close_old_connections()
        try:
            super().execute_job(job, queue)
        finally:
            close_old_connections()
