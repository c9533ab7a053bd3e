"""A lost database or Redis connection answers a Chinese 503 page with Retry-After
(rentcenter/outage.py), wherever it is raised; other errors stay a 500. The restarts
themselves are in test_faults.py."""

from unittest import mock

import psycopg
import pytest
import redis.exceptions
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError
from django.test import Client

from rentcenter.outage import is_outage
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SESSION_LOAD = "django.contrib.sessions.backends.base.SessionBase._get_session"


@pytest.fixture
def client() -> Client:
    """A client that returns the error page instead of raising the view's exception."""
    return Client(raise_request_exception=False)


def signed_in(client: Client) -> Client:
    client.force_login(make_user())
    return client


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379."),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
    ],
)
def test_a_lost_connection_is_a_chinese_503_with_retry_after(client, error):
    signed_in(client)
    with mock.patch(SESSION_LOAD, side_effect=error):
        response = client.get("/accounts/profile/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "系统繁忙，请稍后再试" in page
    assert "请重新获取验证码" in page  # codes in flight may need resending
    assert "已经显示“登记成功”的配租登记不会丢失" in page
    assert "Traceback" not in page
    assert "Server Error" not in page
    # The outer middleware still dress it: security headers and the request id.
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Request-ID"]


def test_a_post_that_meets_an_outage_is_a_503_too(client):
    signed_in(client)
    with mock.patch(SESSION_LOAD, side_effect=OperationalError("terminating connection")):
        response = client.post("/accounts/profile/real-name/", {"real_name": "王小明"})
    assert response.status_code == 503


def test_a_session_that_cannot_be_saved_for_the_outage_is_a_503_not_a_400(client):
    """The session middleware turns a failed save into SessionInterrupted (400), with the
    database's error as its context."""
    signed_in(client)
    save = "django.contrib.sessions.backends.db.SessionStore.save"
    lost = OperationalError("consuming input failed: server closed the connection")
    with mock.patch(save, side_effect=lambda *a, **kw: raise_from(UpdateError(), lost)):
        response = client.get("/accounts/profile/")
    assert response.status_code == 503
    assert "系统繁忙，请稍后再试" in response.content.decode()


def test_a_session_deleted_by_a_concurrent_logout_stays_a_400(client):
    signed_in(client)
    save = "django.contrib.sessions.backends.db.SessionStore.save"
    with mock.patch(save, side_effect=UpdateError):
        response = client.get("/accounts/profile/")
    assert response.status_code == 400


def raise_from(error: Exception, context: Exception):
    try:
        raise context
    except type(context):
        raise error  # noqa: B904 - the implicit context, as Django's session backend leaves it


def test_other_errors_stay_a_500(client):
    signed_in(client)
    with mock.patch(SESSION_LOAD, side_effect=ValueError("a bug")):
        response = client.get("/accounts/profile/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_the_outage_is_recognised_through_the_errors_it_caused():
    error = RuntimeError("while saving the session")
    error.__cause__ = psycopg.OperationalError("consuming input failed")
    assert is_outage(error)
    assert not is_outage(ValueError("x"))
    assert not is_outage(None)
