"""Tasks the workers start once a Beijing day (settings.DAILY_TASKS): the retention purge.

Rather than a cron of its own, the same loop that sweeps the outbox every minute (the RQ
worker's maintenance, the database worker's sweep thread) calls `enqueue_daily`. From
RETENTION_PURGE_HOUR (03:00 by default, the quietest hour) on, the first worker to get there
each day enqueues each task: `cache.add` of a key naming the day is atomic in Redis, so with
several workers the task runs once. If the cache forgets the key, a task runs twice that day,
which a purge survives (what is deleted is gone; it finds nothing the second time).

Tasks are named by dotted path: the outbox imports no higher room.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

KEY = "daily-task:{name}:{day}"
KEY_SECONDS = 2 * 24 * 60 * 60


def enqueue_daily() -> list[str]:
    """Enqueue each daily task not yet enqueued today, if its hour has come; which ones."""
    local = timezone.localtime()
    if local.hour < settings.RETENTION_PURGE_HOUR:
        return []
    started = []
    for name in settings.DAILY_TASKS:
        if not cache.add(KEY.format(name=name, day=local.date().isoformat()), 1, KEY_SECONDS):
            continue
        try:
            import_string(name).enqueue()
        except Exception:
            logger.exception("The daily task %s could not be enqueued", name)
            continue
        started.append(name)
        logger.info("Daily task %s enqueued", name)
    return started
