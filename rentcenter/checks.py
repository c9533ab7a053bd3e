"""What `manage.py check --deploy` says about this site's own settings, beside Django's checks.

Each warning names the variable and says what it means, so that a deployment that runs with it
does so on purpose (README, "Configuration"). They run only with --deploy: a developer's
machine is expected to differ.
"""

import os

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def queue_beside_the_cache(**kwargs) -> list[Warning]:
    """The RQ queue on the cache's Redis: a cache is given a maxmemory and an eviction policy,
    and evicting RQ's keys loses jobs and workers (README, "Redis")."""
    if settings.TASKS_BACKEND != "rq" or settings.TASKS_REDIS_URL != settings.REDIS_URL:
        return []
    return [
        Warning(
            "The task queue (TASKS_BACKEND=rq) shares the cache's Redis (REDIS_URL).",
            hint="Give the queue a Redis of its own with maxmemory-policy noeviction and name "
            "it in TASKS_REDIS_URL; the cache's Redis evicts keys when it is full.",
            id="rentcenter.W002",
        )
    ]


@register(Tags.caches, deploy=True)
def local_cache_with_several_workers(**kwargs) -> list[Warning]:
    """ALLOW_LOCAL_CACHE=1 is for a deployment of one process (README, Configuration)."""
    if not settings.ALLOW_LOCAL_CACHE or settings.REDIS_URL:
        return []
    workers = os.environ.get("WEB_CONCURRENCY", "").strip()
    if workers == "1":
        return []
    workers = workers or "unset: 2 × cores + 1"
    return [
        Warning(
            "ALLOW_LOCAL_CACHE=1: each process keeps its own cache, so with several worker "
            "processes the rate limits, captcha answers and the SMS circuit breaker are not "
            f"shared and every limit is multiplied (WEB_CONCURRENCY={workers}).",
            hint="Set REDIS_URL, or run a single worker process with WEB_CONCURRENCY=1.",
            id="rentcenter.W003",
        )
    ]
