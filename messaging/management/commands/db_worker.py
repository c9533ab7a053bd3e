"""django-tasks-db's `db_worker`, plus the outbox sweep every OUTBOX_SWEEP_SECONDS.

A text whose task was lost (the worker killed in the middle of a batch leaves that task marked
running forever) is found by messaging.outbox.requeue_stranded once its lease has run out, and
enqueued again, so the next worker sends it. The same loop runs the other rooms' periodic tasks
and enqueues the day's tasks once a day (messaging/schedule.py). The sweep runs in a thread of
the worker process (not in the autoreloader's parent), from its start.
"""

import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from messaging import outbox, schedule


def sweep_forever(interval: float) -> None:
    while True:
        try:
            outbox.requeue_stranded()
        except Exception:
            outbox.logger.exception("The SMS outbox sweep failed")
        try:
            schedule.enqueue_daily()
        except Exception:
            schedule.logger.exception("The daily tasks could not be enqueued")
        finally:
            close_old_connections()
        try:
            schedule.run_sweeps()  # the other rooms' periodic tasks (the 选房 queues)
        finally:
            close_old_connections()
        time.sleep(interval)


class Command(db_worker.Command):
    help = "Run a database background worker, and sweep the SMS outbox for lost texts"

    def handle(self, *args, **options) -> None:
        # Not for --batch (a run that ends when the queue is empty), nor in the autoreloader's
        # parent process, which only restarts the child that works.
        reloading = options.get("reload") and not options.get("batch")
        child = not reloading or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        if child and not options.get("batch"):
            threading.Thread(
                target=sweep_forever,
                args=(settings.OUTBOX_SWEEP_SECONDS,),
                daemon=True,
                name="outbox-sweep",
            ).start()
        super().handle(*args, **options)
