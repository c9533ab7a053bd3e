"""What `manage.py check --deploy` says about this site's own settings, beside Django's checks.

Each warning names the variable and says what it means, so that a deployment that runs with it
does so on purpose (README, "Configuration"). They run only with --deploy: a developer's
machine is expected to differ.
"""

import os

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from rentcenter import crypto


@register(Tags.security, deploy=True)
def identity_checked_locally(**kwargs) -> list[Warning]:
    """IDENTITY_VERIFIER=local chosen on purpose: say what it means (issue 17, finding 3)."""
    if settings.IDENTITY_VERIFIER != "local":
        return []
    return [
        Warning(
            "IDENTITY_VERIFIER=local: 实名认证 checks only the ID number itself (GB 11643 check "
            "digit, area and birth date); names are compared with nothing, so anyone can take "
            "a valid number that is not theirs, once per number.",
            hint="Name the operator's identity-check service: IDENTITY_VERIFIER=http with "
            "IDENTITY_SERVICE_URL and IDENTITY_SERVICE_KEY. Keep local only where that risk is "
            "accepted, until the service is contracted.",
            id="rentcenter.W001",
        )
    ]


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


@register(Tags.security, deploy=True)
def keys_read_what_is_stored(**kwargs) -> list[Error]:
    """The key canary (rentcenter.crypto): a wrong or dropped ID_NUMBER_KEYS, or another
    ID_NUMBER_HMAC_KEY, named before any page meets it. Without a reachable, migrated database
    there is nothing stored to try the keys on, and /readyz asks again once it is there."""
    try:
        problems = crypto.key_problems()
    except DatabaseError:
        return []
    return [
        Error(
            problem,
            hint="Put back the key the stored values were encrypted with (keep old keys after "
            "the new one until `manage.py reencrypt_id_numbers` has run); never drop one before.",
            id="rentcenter.E001",
        )
        for problem in problems
    ]
