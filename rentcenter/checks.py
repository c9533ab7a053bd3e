"""What `manage.py check --deploy` says about this site's own settings, beside Django's checks.

Each warning names the variable and says what it means, so that a deployment that runs with it
does so on purpose (README, "Configuration"). They run only with --deploy: a developer's
machine is expected to differ.
"""

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
