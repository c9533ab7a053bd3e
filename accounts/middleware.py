"""Session lifetime: 30 minutes idle, 12 hours in all (OWASP ASVS 5.0 §7.3).

The session remembers when the person logged in and when it last saw them. Only signed-in
sessions are looked at, from the session alone (no database query for the user), and the "last
seen" time is written at most once a minute, so that browsing does not write the session on
every request; the idle limit is therefore exact to a minute.

A view marked `sessionless` (the captcha image) is not looked at: reading the session is
enough for Django to drop the cookie of a session that has just been replaced by a login, and a
response that arrives after 登录's would then log the person out.
"""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts import consent

View = Callable[..., HttpResponse]

LOGIN_AT = "accounts.login_at"
SEEN_AT = "accounts.seen_at"
SEEN_AT_PRECISION = 60
# When the person last proved again that they hold the account's phone (验证当前手机号).
CONFIRMED_AT = "accounts.confirmed_at"
# Changing what logs in to an account (the phone) needs a login or a fresh proof this recent
# (OWASP ASVS 5.0 §7.5: re-authentication before changing an authentication factor).
RECENT_LOGIN_SECONDS = 10 * 60


def start_session_clock(request: HttpRequest) -> None:
    """Called right after auth.login: the 12 hours start now."""
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


def confirm_login(request: HttpRequest) -> None:
    """Called when a code texted to the account's own phone has just been verified."""
    request.session[CONFIRMED_AT] = time.time()


def logged_in_recently(request: HttpRequest) -> bool:
    proved_at = max(request.session.get(LOGIN_AT, 0), request.session.get(CONFIRMED_AT, 0))
    return time.time() - proved_at <= RECENT_LOGIN_SECONDS


def consent_exempt(view: View) -> View:
    """Marks a view a signed-in applicant may open before agreeing to the current 个人信息处理规则:
    the rules themselves, the page asking, logging out, and the rights that need no agreement
    (downloading one's data, closing the account)."""
    view.consent_exempt = True
    return view


def sessionless(view: View) -> View:
    """Marks a view that must neither read nor write the session, so that its response never
    sets or deletes the session cookie. The view itself must not touch request.session."""
    view.sessionless = True
    return view


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        if getattr(view, "sessionless", False):
            return None
        session = request.session
        if auth.SESSION_KEY in session:
            now = time.time()
            # A session made some other way (Client.force_login) starts its clock here.
            login_at = session.setdefault(LOGIN_AT, now)
            seen_at = session.setdefault(SEEN_AT, now)
            idle = now - seen_at > settings.SESSION_IDLE_TIMEOUT
            too_old = now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT
            if idle or too_old:
                auth.logout(request)
                messages.info(request, "登录已超时，请重新登录。")
            elif now - seen_at >= SEEN_AT_PRECISION:
                session[SEEN_AT] = now
        return None


class ConsentMiddleware:
    """A signed-in applicant who has not agreed to the current 个人信息处理规则 (or, holding a
    verified real name, to its separate consent) is sent to agree before any other page, and
    comes back after (accounts/consent.py). The answer is kept in the session from the login
    on: a settled session costs nothing here, not even loading the user.

    Only pages being opened (GET) are held back: a form posted just as the rules changed goes
    through under the consent given before, so nothing typed is lost; the next page asks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD"):
            return None
        if getattr(view, "sessionless", False) or getattr(view, "consent_exempt", False):
            return None
        if getattr(request.resolver_match, "namespace", "") == "admin":
            return None
        session = request.session
        if auth.SESSION_KEY not in session or consent.settled(session):
            return None
        user = request.user
        if not user.is_authenticated or consent.remember(session, user):
            return None
        from accounts.decorators import return_path  # it imports this module

        url = reverse("accounts:consent")
        back = return_path(request)
        if back:
            url += f"?{urlencode({'next': back})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)
