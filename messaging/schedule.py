"""What the task workers start by themselves, besides the work they are given.

Two kinds, registered by the rooms that own them when their app is ready, so that messaging
stays below every domain room and imports none of them:

- `every_sweep(task)`: every OUTBOX_SWEEP_SECONDS, beside the outbox's own sweep (the 选房
  queues' `allocation.tasks.settle_sessions`);
- `daily(task, hour=...)`: once a Beijing day, from the hour the callable names (the retention
  purge, when RETENTION_PURGE=worker: `privacy.retention.purge_hour`). The first worker to get
  there each day enqueues it: `cache.add` of a key naming the day is atomic in Redis, so with
  several workers it runs once. If the cache forgets the key, it runs twice that day, which a
  purge survives (what is deleted is gone; it finds nothing the second time).

The RQ worker enqueues both in its maintenance (messaging/rqworker.py); the database worker
runs the sweeps in its sweep thread and enqueues the daily ones
(messaging/management/commands/db_worker.py). Rather than a cron of its own, one loop does all.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

KEY = "daily-task:{name}:{day}"
KEY_SECONDS = 2 * 24 * 60 * 60


@dataclass(frozen=True)
class Daily:
    task: object  # a django-tasks Task
    hour: Callable[[], int | None]  # the Beijing hour it starts from, None when not run at all


_every_sweep: list = []
_daily: list[Daily] = []


def every_sweep(task) -> None:
    """A task (django-tasks) for the workers to run every OUTBOX_SWEEP_SECONDS."""
    if task not in _every_sweep:
        _every_sweep.append(task)


def daily(task, *, hour: Callable[[], int | None]) -> None:
    """A task for the workers to enqueue once a Beijing day, from `hour()` on."""
    if all(entry.task is not task for entry in _daily):
        _daily.append(Daily(task, hour))


def sweeps() -> list:
    return list(_every_sweep)


def enqueue_sweeps() -> None:
    for task in _every_sweep:
        try:
            task.enqueue()
        except Exception:
            logger.exception("The periodic task %s could not be enqueued", task.name)


def run_sweeps() -> None:
    for task in _every_sweep:
        try:
            task.call()
        except Exception:
            logger.exception("The periodic task %s failed", task.name)


def enqueue_daily() -> list[str]:
    """Enqueue each daily task not yet enqueued today, if its hour has come; which ones."""
    local = timezone.localtime()
    started = []
    for entry in _daily:
        hour = entry.hour()
        if hour is None or local.hour < hour:
            continue
        name = entry.task.name
        if not cache.add(KEY.format(name=name, day=local.date().isoformat()), 1, KEY_SECONDS):
            continue
        try:
            entry.task.enqueue()
        except Exception:
            logger.exception("The daily task %s could not be enqueued", name)
            continue
        started.append(name)
        logger.info("Daily task %s enqueued", name)
    return started
