"""Probes for the load balancer.

/healthz says the process answers (no database: a database outage must not make every worker
look dead and get restarted in a loop). /readyz says this worker can serve real pages: the
database and the shared cache both answer, and the ID number keys read what is stored (the key
canary, rentcenter.crypto, asked at most once a minute: a worker started with a wrong
ID_NUMBER_KEYS is taken out of the pool instead of answering 503s on pages).
"""

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rentcenter import crypto

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    problems = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("readyz: database unreachable")
        problems.append("database")
    else:
        try:
            if crypto.checked_key_problems():
                problems.append("id_number_keys")
        except Exception:
            logger.exception("readyz: the key canary could not read the database")
            problems.append("database")
    try:
        cache.set("readyz", "1", timeout=5)
        if cache.get("readyz") != "1":
            problems.append("cache")
    except Exception:
        logger.exception("readyz: cache unreachable")
        problems.append("cache")
    if problems:
        return HttpResponse(
            "unavailable: " + ", ".join(problems), status=503, content_type="text/plain"
        )
    return HttpResponse("ok", content_type="text/plain")


class ProbeMiddleware:
    """Answers the probes first, before the host check and the HTTPS redirect: a load balancer
    probes each worker by its address, over plain HTTP, with whatever Host header it likes."""

    probes = {"/healthz": healthz, "/readyz": readyz}

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = self.probes.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
