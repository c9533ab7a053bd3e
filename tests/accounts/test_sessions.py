"""Session lifetime (accounts.middleware): 30 minutes idle, 12 hours in all."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings

from tests.accounts.conftest import last_code, send_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db

START = "2026-06-01 09:00 +08:00"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def signed_in(client) -> bool:
    return client.get("/accounts/profile/").status_code == 200


def test_stays_signed_in_just_under_thirty_idle_minutes(client, clock):
    client.force_login(make_user())
    assert signed_in(client)
    clock.shift(timedelta(minutes=30))
    assert signed_in(client)


def test_thirty_idle_minutes_end_the_session(client, clock):
    client.force_login(make_user())
    assert signed_in(client)
    clock.shift(timedelta(minutes=30, seconds=1))
    response = client.get("/accounts/profile/")
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"
    assert "_auth_user_id" not in client.session


def test_the_timeout_is_announced(client, clock):
    client.force_login(make_user())
    signed_in(client)
    clock.shift(timedelta(minutes=31))
    page = client.get("/", follow=True).content.decode()
    assert "登录已超时，请重新登录。" in page


def test_activity_keeps_the_session_alive(client, clock):
    client.force_login(make_user())
    for _ in range(6):
        clock.shift(timedelta(minutes=25))
        assert signed_in(client)


def test_twelve_hours_end_the_session_whatever_the_activity(client, clock):
    client.force_login(make_user())
    signed_in(client)
    for _ in range(12 * 3):
        clock.shift(timedelta(minutes=20))
        assert signed_in(client)
    clock.shift(timedelta(seconds=1))
    assert not signed_in(client)


def test_the_twelve_hours_count_from_the_login(client, captcha_test_mode, clock):
    make_user(phone="+8613800138000")
    send_code(client)
    client.post("/accounts/login/", {"phone": "13800138000", "sms_code": last_code()})
    for _ in range(35):
        clock.shift(timedelta(minutes=20))
        assert signed_in(client)
    clock.move_to("2026-06-01 20:59:59 +08:00")
    assert signed_in(client)
    clock.move_to("2026-06-01 21:00:01 +08:00")
    assert not signed_in(client)


def test_anonymous_sessions_are_left_alone(client, clock):
    client.get("/accounts/captcha.png")
    clock.shift(timedelta(hours=13))
    assert client.get("/accounts/login/").status_code == 200


def test_the_login_cookie_is_http_only_and_lax(client, captcha_test_mode, settings):
    make_user(phone="+8613800138000")
    send_code(client)
    response = client.post("/accounts/login/", {"phone": "13800138000", "sms_code": last_code()})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 12 * 60 * 60


def test_cookies_are_secure_outside_debug():
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "s" * 50,
        "ALLOW_LOCAL_CACHE": "1",
        "IDENTITY_VERIFIER": "local",
        "SECURE_COOKIES": "",
    }
    environment.pop("SECURE_COOKIES")
    environment["ID_NUMBER_KEYS"] = django_settings.ID_NUMBER_KEYS[0]
    environment["ID_NUMBER_HMAC_KEY"] = "h" * 40
    code = (
        "import rentcenter.settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE)"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True", "Lax"]
