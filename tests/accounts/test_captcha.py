import io
import os
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from PIL import Image

from accounts import captcha

pytestmark = pytest.mark.django_db


def test_accepts_the_answer_once():
    session = SessionStore()
    answer = captcha.new_challenge(session)
    assert len(answer) == 4
    assert answer.isdigit()
    assert captcha.check(session, answer)
    assert not captcha.check(session, answer)


def test_a_wrong_answer_uses_up_the_image():
    session = SessionStore()
    answer = captcha.new_challenge(session)
    assert not captcha.check(session, "x")
    assert not captcha.check(session, answer)


def test_a_new_image_replaces_the_old_answer():
    session = SessionStore()
    old = captcha.new_challenge(session)
    new = captcha.new_challenge(session)
    if old != new:
        assert not captcha.check(session, old)


def test_refuses_any_answer_without_an_image():
    assert not captcha.check(SessionStore(), "")


def test_the_answer_expires_after_ten_minutes():
    session = SessionStore()
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        answer = captcha.new_challenge(session)
        clock.shift(10 * 60 + 1)
        assert not captcha.check(session, answer)


def test_the_session_keeps_a_hash_not_the_answer():
    session = SessionStore()
    answer = captcha.new_challenge(session)
    assert answer not in str(session[captcha.SESSION_KEY])


def test_test_mode_accepts_passed(settings):
    session = SessionStore()
    assert not captcha.check(session, "PASSED")
    settings.CAPTCHA_TEST_MODE = True
    assert captcha.check(session, "PASSED")


def test_draws_a_png_of_the_right_size():
    image = Image.open(io.BytesIO(captcha.draw("4831")))
    assert image.format == "PNG"
    assert image.size == (captcha.WIDTH, captcha.HEIGHT)


def test_two_drawings_of_the_same_digits_differ():
    assert captcha.draw("4831") != captcha.draw("4831")


def test_image_view_serves_a_new_challenge_uncached(client):
    response = client.get("/accounts/captcha.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    assert captcha.SESSION_KEY in client.session


def test_image_view_refuses_post(client):
    assert client.post("/accounts/captcha.png").status_code == 405


def test_refresh_gives_a_new_image_address(client):
    first = client.get("/accounts/captcha/", HTTP_HX_REQUEST="true").content.decode()
    second = client.get("/accounts/captcha/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="captcha-image"' in first
    assert "/accounts/captcha.png?v=" in first
    assert first != second


def test_refresh_link_reloads_the_page_without_javascript(client):
    page = client.get("/accounts/login/?next=/projects/1/").content.decode()
    assert 'href="/accounts/login/?next=%2Fprojects%2F1%2F" hx-get="/accounts/captcha/"' in page


def test_settings_refuse_test_mode_without_debug():
    environment = {**os.environ, "DEBUG": "0", "SECRET_KEY": "s" * 50, "CAPTCHA_TEST_MODE": "1"}
    environment["ID_NUMBER_KEYS"] = django_settings.ID_NUMBER_KEYS[0]
    environment["ID_NUMBER_HMAC_KEY"] = "h" * 40
    result = subprocess.run(
        [sys.executable, "-c", "import rentcenter.settings"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "CAPTCHA_TEST_MODE must not be on when DEBUG is off" in result.stderr
