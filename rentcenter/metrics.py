"""/metrics for Prometheus (django-prometheus), when METRICS_ENABLED is on.

Only a scraper holding METRICS_TOKEN reads it (`Authorization: Bearer <token>`, Prometheus'
`authorization` setting): request counts and latencies per view say how busy the site is and
which pages fail, which is not for the public. It is answered before the host check, like the
probes, since Prometheus scrapes each worker by its own address (web-1:8000), and before the
session, the page cache and CSRF, none of which it needs.

With several gunicorn workers, each process counts its own requests: PROMETHEUS_MULTIPROC_DIR
(an empty directory shared by the workers of one container, emptied when it starts) makes
every scrape add up all of them (prometheus_client's multiprocess mode; deploy/gunicorn.conf.py
marks a dead worker's files).
"""

import hmac
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter

PATH = "/metrics"

# Counted by the apps where the thing happens (applications.metrics connects it).
registrations_created = Counter(
    "rentcenter_registrations_created",
    "配租登记 committed to the database (active registrations created).",
)


def authorised(request: HttpRequest) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = settings.METRICS_TOKEN
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token, expected)


def metrics(request: HttpRequest) -> HttpResponse:
    if not authorised(request):
        response = HttpResponse("unauthorised\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    elif request.method != "GET":
        response = HttpResponse(status=405)
        response["Allow"] = "GET"
    else:
        response = ExportToDjangoView(request)
    response["Cache-Control"] = "no-store"
    return response


class MetricsMiddleware:
    """Right after the probes (settings add it only with METRICS_ENABLED)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH:
            return metrics(request)
        return self.get_response(request)
