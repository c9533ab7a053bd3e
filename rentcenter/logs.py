"""Logs: one line per request, JSON lines in production (LOG_FORMAT=json), that an operator can
follow across nginx, the web workers and the log store by the request id.

Each request line carries the request id (nginx's X-Request-ID when it is well formed, otherwise
a new one; echoed in the response), the user's id, the method, the path without its query
string, the status and the duration in milliseconds. Never a phone number or an ID number
(PIPL art. 51; OWASP ASVS 5.0 §16.2.5): the user is named by id, query strings (a phone may be
typed into one) stay out, and both formatters mask anything that looks like a mainland mobile
number or a resident ID number in any line, whoever logged it.
"""

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

logger = logging.getLogger("rentcenter.requests")

# The request being answered, for every line logged while it is.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# nginx's $request_id is 32 hex digits; other proxies send UUIDs. Anything else (too long, spaces,
# quotes, newlines that would forge log lines) is replaced.
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# The probes and the scrapes come every few seconds to every worker: logged only when not ok.
PROBES = {"/healthz", "/readyz", "/metrics"}

# A mainland mobile number (GB/T: 1[3-9]xxxxxxxxx, with or without +86) and a resident ID
# number (GB 11643-1999: 17 digits and a check character), not inside a longer token.
PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![0-9A-Za-z])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def redact(line: str) -> str:
    return ID_NUMBER.sub("[身份证号]", PHONE.sub("[手机号]", line))


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record logged while a request is answered, and to Django's
    own lines about it (django.request logs 4xx and 5xx answers after the middleware)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id.get()
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(BaseJsonFormatter):
    """One JSON object per line: time, level, logger, message and the record's extras."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level"})
        kwargs.setdefault("json_ensure_ascii", False)
        # Django's lines about a request pass the request itself, whose text holds the query.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def incoming_request_id(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if WELL_FORMED_ID.fullmatch(given) else uuid.uuid4().hex


def user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id, as far as the request already knows it: the log line costs no
    query (cached public pages are answered before authentication, and a page that never looked
    at the user still has the id in its loaded session)."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    loaded = getattr(user, "_wrapped", user)  # request.user is lazy until something reads it
    if loaded is not empty:
        return loaded.pk if loaded.is_authenticated else None
    session = getattr(getattr(request, "session", None), "_session_cache", None)
    given = session.get(SESSION_KEY) if isinstance(session, dict) else None
    return int(given) if str(given).isdigit() else None


class RequestLogMiddleware:
    """First in MIDDLEWARE: sees every answer, the 503 of an outage and cached pages included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request.request_id = incoming_request_id(request)
        token = request_id.set(request.request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            if request.path_info not in PROBES or response.status_code != 200:
                duration_ms = round((time.perf_counter() - started) * 1000, 1)
                fields = {
                    "request_id": request.request_id,
                    "user_id": user_id(request),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                }
                logger.info(
                    "%s %s %s %sms user=%s",
                    request.method,
                    request.path,
                    response.status_code,
                    duration_ms,
                    fields["user_id"] or "-",
                    extra=fields,
                )
            return response
        finally:
            request_id.reset(token)
