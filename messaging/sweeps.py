"""Tasks the workers run every OUTBOX_SWEEP_SECONDS, besides the outbox's own sweep.

Higher rooms register theirs here when their app is ready (the 选房 queues' sweep of
allocation/tasks.py): messaging stays below every domain room and imports none of them. The RQ
worker enqueues each registered task in its maintenance (messaging/rqworker.py); the database
worker calls each in its sweep thread (messaging/management/commands/db_worker.py).
"""

import logging

logger = logging.getLogger(__name__)

_tasks: list = []


def register(task) -> None:
    """A task (django-tasks) for the workers to run every OUTBOX_SWEEP_SECONDS."""
    if task not in _tasks:
        _tasks.append(task)


def registered() -> list:
    return list(_tasks)


def enqueue_all() -> None:
    for task in _tasks:
        try:
            task.enqueue()
        except Exception:
            logger.exception("The periodic task %s could not be enqueued", task.name)


def run_all() -> None:
    for task in _tasks:
        try:
            task.call()
        except Exception:
            logger.exception("The periodic task %s failed", task.name)
