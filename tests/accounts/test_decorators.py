import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from accounts.decorators import real_name_required
from tests.accounts.factories import make_verified_user
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@real_name_required
def fill(request: HttpRequest) -> HttpResponse:
    return HttpResponse("信息填报")


def build(method: str, path: str, user=None, **headers) -> HttpRequest:
    request = getattr(RequestFactory(), method)(path, **headers)
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)
    return request


def test_lets_a_verified_user_through():
    response = fill(build("get", "/plans/1/info/", make_verified_user()))
    assert response.content.decode() == "信息填报"


def test_sends_anonymous_visitors_to_login_and_back():
    response = fill(build("get", "/plans/1/info/?step=2"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fplans%2F1%2Finfo%2F%3Fstep%3D2"


def test_sends_users_without_real_name_to_profile_with_a_message():
    request = build("get", "/plans/1/info/", make_user())
    response = fill(request)
    assert response["Location"] == "/accounts/profile/?next=%2Fplans%2F1%2Finfo%2F"
    assert [str(m) for m in get_messages(request)] == ["请先完成实名认证。"]


def test_a_refused_post_returns_to_the_page_the_form_was_on():
    request = build(
        "post", "/plans/1/register/", make_user(), HTTP_REFERER="http://testserver/projects/3/"
    )
    response = fill(request)
    assert response["Location"] == "/accounts/profile/?next=%2Fprojects%2F3%2F"


def test_a_refused_post_ignores_a_foreign_referer():
    request = build("post", "/plans/1/register/", make_user(), HTTP_REFERER="https://evil.example/")
    assert fill(request)["Location"] == "/accounts/profile/"


def test_htmx_requests_are_redirected_by_the_browser():
    request = build(
        "post",
        "/plans/1/register/",
        make_user(),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/projects/3/",
    )
    response = fill(request)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/profile/?next=%2Fprojects%2F3%2F"
