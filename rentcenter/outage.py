"""When PostgreSQL or Redis is away: a Chinese page saying to try again, never a 500 trace.

A database restart or a Redis restart (a failover, a deployment) turns every request that
touches them into an OperationalError or a redis ConnectionError, wherever it is raised: in a
view, in the session middleware, in the page cache. Django hands each uncaught exception to the
500 handler (`handler500` in rentcenter/urls.py), or to the 400 handler when the session
could not be saved at the end of the request; these answer those outages with 503 and
Retry-After, so browsers, nginx and monitoring see a passing unavailability, and the applicant
reads what happened to what they were doing. A stored ID number or secret that the keys cannot
decrypt (a wrong or dropped ID_NUMBER_KEYS; the key canary in /readyz names it) is the same
kind of trouble, the site's and not the visitor's: the same page, and an error in the log.
Anything else stays Django's 500.

Connections recover by themselves: Django checks a persistent connection before reusing it
(CONN_HEALTH_CHECKS) and redis-py reconnects on the next command, so no worker needs a restart.
"""

import logging
import sys

import psycopg
import redis.exceptions
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

from rentcenter.http import bad_request_page

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
OUTAGES = (
    OperationalError,
    InterfaceError,
    # Raised outside Django's wrapper (the connection pool) they arrive as they are.
    psycopg.OperationalError,
    psycopg.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def is_outage(error: BaseException | None) -> bool:
    """The error, or one it was raised from (Django wraps psycopg's), is a lost connection."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OUTAGES):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def standalone_context() -> dict[str, object]:
    """What a page that stands alone (templates/standalone.html) shows: nothing from the
    database, the cache or the request."""
    return {
        "retry_after": RETRY_AFTER_SECONDS,
        "support_phone": settings.SUPPORT_PHONE,
        "support_hours": settings.SUPPORT_HOURS,
    }


def unavailable() -> HttpResponse:
    response = HttpResponse(loader.render_to_string("503.html", standalone_context()), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: the session middleware reports a session it could not save as 400
    (SessionInterrupted, "deleted by a concurrent request"), also when the database went away
    while saving it."""
    if is_outage(exception):
        logger.warning("outage: %s answered 503 (the session could not be saved)", request.path)
        return unavailable()
    return bad_request_page()


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: called while Django handles the uncaught exception."""
    error = sys.exc_info()[1]
    if is_outage(error):
        logger.warning("outage: %s answered 503", request.path)
        return unavailable()
    if isinstance(error, InvalidToken):
        logger.error(
            "%s answered 503: a stored value does not decrypt with ID_NUMBER_KEYS (see /readyz)",
            request.path,
        )
        return unavailable()
    return defaults.server_error(request)
