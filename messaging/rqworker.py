"""The RQ worker of production (`manage.py rqworker high default`, settings.RQ["WORKER_CLASS"]).

Two things the plain worker does not do, and the outbox needs: it runs RQ's scheduler, so a
retry enqueued with run_after (the outbox's backoff) starts when due; and every
OUTBOX_SWEEP_SECONDS it enqueues the sweep that finds texts whose task was lost with a killed
worker (messaging.outbox.requeue_stranded). Several workers each run both: RQ's scheduler
takes a lock, and the sweep only enqueues rows no one holds.
"""

import logging

from django.conf import settings
from rq import Worker

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


class OutboxWorker(OutboxMixin, Worker):
    """RQ's forking worker, with the scheduler and the outbox sweep."""
