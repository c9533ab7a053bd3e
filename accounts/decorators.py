from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts.middleware import logged_in_recently

View = Callable[..., HttpResponse]


def return_path(request: HttpRequest) -> str:
    """Where to come back to after logging in or verifying: this page for a GET; for a form
    post (登记 is one), the page the form was on, since a POST-only address cannot be revisited."""
    if request.method == "GET" and not request.htmx:
        return request.get_full_path()
    referer = request.headers.get("HX-Current-URL") or request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(referer)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def url_with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _go(request: HttpRequest, url: str) -> HttpResponse:
    # An htmx request would swap the whole target page into a fragment: send the browser there.
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def recent_login_required(view: View) -> View:
    """For a signed-in person only (put it under login_required): unless they logged in or
    proved their phone within the last 10 minutes, they first confirm the phone they hold
    (验证当前手机号) and come back here."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not logged_in_recently(request):
            return _go(request, url_with_next("accounts:confirm_phone", return_path(request)))
        return view(request, *args, **kwargs)

    return wrapper


def real_name_required(view: View) -> View:
    """Only applicants with a verified real name (manual 3.3: 非实名注册用户无法进行专项配租必要的
    信息填报与登记). Anonymous visitors go to 登录, others to 基本信息 to verify, and both come
    back here afterwards through ?next=."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return _go(request, url_with_next(settings.LOGIN_URL, return_path(request)))
        if not request.user.has_real_name:
            messages.warning(request, "请先完成实名认证。")
            return _go(request, url_with_next("accounts:profile", return_path(request)))
        return view(request, *args, **kwargs)

    return wrapper
