import io
import os
import re
import subprocess
import sys
import threading
from unittest import mock

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from PIL import Image

from accounts import captcha
from rentcenter import sms
from tests.accounts.conftest import last_code, send_code, solve_captcha
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def solved() -> tuple[str, str]:
    challenge = captcha.new_challenge()
    return challenge, captcha.new_answer(challenge)


def test_accepts_the_answer_once():
    challenge, answer = solved()
    assert len(answer) == 5  # 10⁵ answers: a guess is right once in 100,000 (issue 17)
    assert answer.isdigit()
    assert captcha.check(challenge, answer)
    assert not captcha.check(challenge, answer)


def test_a_wrong_answer_uses_up_the_image():
    challenge, answer = solved()
    assert not captcha.check(challenge, "x")
    assert not captcha.check(challenge, answer)


def test_a_new_image_replaces_the_old_answer():
    challenge = captcha.new_challenge()
    with mock.patch.object(captcha.secrets, "choice", side_effect=list("1234567890")):
        assert captcha.new_answer(challenge) == "12345"
        assert captcha.new_answer(challenge) == "67890"
    assert not captcha.check(challenge, "12345")
    challenge = captcha.new_challenge()
    with mock.patch.object(captcha.secrets, "choice", side_effect=list("1234567890")):
        captcha.new_answer(challenge)
        captcha.new_answer(challenge)
    assert captcha.check(challenge, "67890")


def test_an_answer_is_good_for_its_own_challenge_only():
    first, answer = solved()
    assert not captcha.check(captcha.new_challenge(), answer)
    assert captcha.check(first, answer)


def test_refuses_any_answer_without_an_image():
    assert not captcha.check(captcha.new_challenge(), "")
    assert not captcha.check("", "1234")


def test_refuses_a_challenge_id_it_did_not_make():
    with pytest.raises(ValueError, match="not a challenge id"):
        captcha.new_answer("../../etc")
    assert not captcha.check("x" * 200, "1234")


def test_the_answer_expires_after_ten_minutes():
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        challenge, answer = solved()
        clock.shift(10 * 60 + 1)
        assert not captcha.check(challenge, answer)


def test_the_cache_keeps_a_hash_not_the_answer():
    from django.core.cache import cache

    challenge, answer = solved()
    stored = cache.get(f"captcha:{challenge}")
    assert stored is not None
    assert answer not in str(stored)


def test_simultaneous_checks_of_one_solved_image_let_one_through():
    """The shared cache of this run (the local cache, or Redis with REDIS_URL) hands the answer
    to one check only, however many arrive together."""
    for n in range(20):
        challenge, answer = solved()
        barrier = threading.Barrier(8)
        results = []

        def check(challenge=challenge, answer=answer, barrier=barrier, results=results, n=n):
            barrier.wait()
            results.append(captcha.check(challenge, answer, address=f"10.0.{n}.1"))

        threads = [threading.Thread(target=check) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count(True) == 1


def test_test_mode_accepts_passed(settings):
    challenge = captcha.new_challenge()
    assert not captcha.check(challenge, "PASSED")
    settings.CAPTCHA_TEST_MODE = True
    assert captcha.check(challenge, "PASSED")


def test_draws_a_png_of_the_right_size():
    image = Image.open(io.BytesIO(captcha.draw("48315")))
    assert image.format == "PNG"
    assert image.size == (captcha.WIDTH, captcha.HEIGHT)


def test_two_drawings_of_the_same_digits_differ():
    assert captcha.draw("4831") != captcha.draw("4831")


def test_the_page_carries_a_challenge_and_its_image(client):
    page = client.get("/accounts/login/").content.decode()
    solution = solve_captcha(client, page)
    assert f'src="/accounts/captcha.png?c={solution["captcha_challenge"]}"' in page
    assert captcha.check(solution["captcha_challenge"], solution["captcha"])


def test_each_page_has_a_challenge_of_its_own(client):
    first = solve_captcha(client, client.get("/accounts/login/").content.decode())
    second = solve_captcha(client, client.get("/accounts/login/").content.decode())
    assert first["captcha_challenge"] != second["captcha_challenge"]


def test_image_view_serves_a_new_answer_uncached(client):
    challenge = captcha.new_challenge()
    response = client.get(f"/accounts/captcha.png?c={challenge}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("query", ["", "?c=", "?c=short", "?c=" + "a" * 21 + "%2F"])
def test_image_view_refuses_what_is_not_a_challenge(client, query):
    assert client.get(f"/accounts/captcha.png{query}").status_code == 404


def test_image_view_refuses_post(client):
    assert client.post(f"/accounts/captcha.png?c={captcha.new_challenge()}").status_code == 405


def test_the_image_leaves_a_session_replaced_by_registering_alone(client, new_client, settings):
    """注册 rotates the session while the image that 发送 loaded is still on its way with the
    old session id; its response must not set or drop the cookie, or the person is logged out."""
    settings.CAPTCHA_TEST_MODE = True
    before = SessionStore()
    before["anything"] = "an anonymous session, as a browser has one before signing up"
    before.create()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = before.session_key
    page = send_code(client, "/accounts/register/send-code/").content.decode()
    challenge = solve_captcha(client, page)["captcha_challenge"]
    client.post(
        "/accounts/register/", {"phone": "13800138000", "sms_code": last_code(), "agree": "on"}
    )
    assert client.session.session_key != before.session_key

    late = new_client()
    late.cookies[django_settings.SESSION_COOKIE_NAME] = before.session_key
    response = late.get(f"/accounts/captcha.png?c={challenge}")
    assert response.status_code == 200
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
    client.cookies.update(response.cookies)  # what the browser keeps: its newest cookies
    assert client.get("/accounts/profile/").status_code == 200


def test_the_image_neither_reads_nor_writes_a_signed_in_session(client, settings):
    from tests.factories import make_user

    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        client.force_login(make_user())
        client.get("/accounts/profile/")
        clock.shift(5 * 60)  # "last seen" would be written now by any other page
        response = client.get(f"/accounts/captcha.png?c={captcha.new_challenge()}")
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")


def test_refresh_gives_a_new_challenge_and_image(client):
    first = client.get("/accounts/captcha/", HTTP_HX_REQUEST="true").content.decode()
    second = client.get("/accounts/captcha/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="captcha-challenge"' in first
    assert 'name="captcha_challenge"' in first
    assert "/accounts/captcha.png?c=" in first
    assert first != second


def test_refresh_without_javascript_is_a_button_posting_the_form_to_its_page(client):
    page = client.get("/accounts/login/?next=/projects/1/").content.decode()
    button = re.search(r"<button[^>]*>刷新</button>", page).group()
    assert 'type="submit"' in button
    assert 'name="captcha_refresh"' in button
    assert 'formaction="/accounts/login/?next=%2Fprojects%2F1%2F"' in button
    assert 'hx-get="/accounts/captcha/"' in button  # with JavaScript: only the image changes


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/register/"])
def test_refresh_without_javascript_keeps_the_phone_and_checks_nothing(client, url):
    page = client.get(url).content.decode()
    challenge = re.search(r'name="captcha_challenge" value="([^"]+)"', page).group(1)
    response = client.post(
        f"{url}?next=/projects/1/",
        {
            "phone": "139 1234 5678",
            "captcha": "12",
            "captcha_challenge": challenge,
            "captcha_refresh": "1",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="139 1234 5678"' in html
    assert "field__error" not in html
    assert "提交未成功" not in html
    new_challenge = re.search(r'name="captcha_challenge" value="([^"]+)"', html).group(1)
    assert new_challenge != challenge
    assert '<input type="hidden" name="next" value="/projects/1/">' in html
    assert sms.outbox == []


def test_refresh_without_javascript_keeps_the_new_phone_when_changing_it(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        "/accounts/profile/phone/", {"phone": "13600001111", "captcha_refresh": "1"}
    )
    assert response.status_code == 200
    assert 'value="136 0000 1111"' in response.content.decode()
    assert "field__error" not in response.content.decode()


def test_settings_refuse_test_mode_without_debug():
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "s" * 50,
        "ALLOW_LOCAL_CACHE": "1",
        "CAPTCHA_TEST_MODE": "1",
    }
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


# Throttles (issue 17, finding 8: a 4-digit captcha took any number of wrong answers) -------------


def test_a_challenge_is_drawn_a_few_times_at_most():
    """Reloading one page's image is fine a few times; a bot redrawing one challenge to guess
    each image is stopped (刷新 makes a new challenge, and a new page another)."""
    challenge = captcha.new_challenge()
    for _ in range(captcha.DRAWS_PER_CHALLENGE):
        captcha.new_answer(challenge)
    with pytest.raises(captcha.TooManyDraws):
        captcha.new_answer(challenge)


def test_the_image_view_refuses_a_challenge_drawn_too_often(client):
    challenge = captcha.new_challenge()
    for _ in range(captcha.DRAWS_PER_CHALLENGE):
        assert client.get(f"/accounts/captcha.png?c={challenge}").status_code == 200
    response = client.get(f"/accounts/captcha.png?c={challenge}")
    assert response.status_code == 429
    assert response["Cache-Control"].startswith("max-age=0")


def test_wrong_answers_from_one_address_are_throttled_right_ones_are_not(now):
    limit, _ = captcha.WRONG_ANSWERS_PER_ADDRESS
    for _ in range(limit + 5):
        challenge, answer = solved()
        assert captcha.check(challenge, answer, address="10.0.0.1")  # right: never counted
    for _ in range(limit):
        challenge, answer = solved()
        assert not captcha.check(challenge, "00000", address="10.0.0.1")
    challenge, answer = solved()
    with pytest.raises(captcha.Throttled) as throttled:
        captcha.check(challenge, answer, address="10.0.0.1")
    assert throttled.value.retry_at > now
    other, answer = solved()
    assert captcha.check(other, answer, address="10.0.0.2")


def test_the_form_says_when_to_try_again(client, now):
    limit, _ = captcha.WRONG_ANSWERS_PER_ADDRESS
    for _ in range(limit):
        page = client.get("/accounts/login/").content.decode()
        data = solve_captcha(client, page)
        client.post("/accounts/login/send-code/", {**data, "phone": "13800138000", "captcha": "0"})
    page = client.get("/accounts/login/").content.decode()
    data = solve_captcha(client, page)

    response = client.post("/accounts/login/send-code/", {**data, "phone": "13800138000"})

    assert "数字验证码错误次数过多，请于" in response.content.decode()
    assert sms.outbox == []
