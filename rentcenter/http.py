"""The HTTP edge: the request type of htmx views, and what no request may carry.

A NUL character has no place in an address (no keyboard types it, no link of the site holds
it), and PostgreSQL refuses a query holding one with an error rather than no row: 摇号结果's code
search, admin's list filters and search, and admin's autocomplete each turned `%00` into a 500
(issue 17, finding 5). Rather than guard every place that reads the query, RefuseNulMiddleware
answers any request whose query names or values hold one with 400 and the Chinese error page,
before the session, the page cache or any view reads it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request type of views that answer htmx requests with a fragment."""

    htmx: HtmxDetails


def bad_request_page() -> HttpResponse:
    """请求无效, 400: standing alone like the outage page (no database, cache or session)."""
    context = {"support_phone": settings.SUPPORT_PHONE, "support_hours": settings.SUPPORT_HOURS}
    response = HttpResponse(loader.render_to_string("400.html", context), status=400)
    response["Cache-Control"] = "no-store"
    return response


def has_nul(request: HttpRequest) -> bool:
    """Whether any name or value of the query holds a NUL (sent as %00 or as it is)."""
    return any("\x00" in name or "\x00" in "".join(values) for name, values in request.GET.lists())


class RefuseNulMiddleware:
    """400 for a query holding a NUL, early in the chain (after the request log, so that the
    refusal is logged with its request id)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            return bad_request_page()
        return self.get_response(request)
