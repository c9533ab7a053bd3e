"""长辈模式: large text and strong contrast for older applicants (适老化, the MIIT's 2020
guideline on making websites usable by older people asks for a switch of this kind).

The switch is a plain link in every page's header, so that it works without JavaScript and
on the cached public pages, which carry no CSRF token. It sets a cookie for a year and goes
back to the page it was clicked on (only a page of this site: `url_has_allowed_host_and_scheme`,
so the link cannot be used to send someone elsewhere). The public page cache keeps one copy
of each page per mode (`rentcenter.pagecache`, nginx's proxy_cache_key in the README).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

ELDER_COOKIE = "elder"
ELDER_COOKIE_SECONDS = 365 * 24 * 60 * 60


def is_elder(request: HttpRequest) -> bool:
    return request.COOKIES.get(ELDER_COOKIE) == "1"


def _back(request: HttpRequest) -> HttpResponseRedirect:
    back = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(back if allowed else "/")


@require_GET
@never_cache
def elder_on(request: HttpRequest) -> HttpResponse:
    response = _back(request)
    response.set_cookie(
        ELDER_COOKIE,
        "1",
        max_age=ELDER_COOKIE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@require_GET
@never_cache
def elder_off(request: HttpRequest) -> HttpResponse:
    response = _back(request)
    response.delete_cookie(ELDER_COOKIE, samesite="Lax")
    return response


app_name = "display"
urlpatterns = [
    path("elder/", elder_on, name="elder_on"),
    path("standard/", elder_off, name="elder_off"),
]
