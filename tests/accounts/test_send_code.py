"""发送验证短信 on 登录 and 注册 (the same purpose: a code from either page works on both)."""

import pytest
import time_machine

from rentcenter import sms
from tests.accounts.conftest import page_without_tokens, send_code, solve_captcha, texts_to
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SEND_URLS = ["/accounts/login/send-code/", "/accounts/register/send-code/"]


@pytest.mark.parametrize("url", SEND_URLS)
def test_texts_a_code_and_says_so(client, captcha_test_mode, url):
    response = send_code(client, url, phone="138-0013-8000")
    page = response.content.decode()
    assert "验证码已发送至 138****8000，5分钟内有效。" in page
    assert len(texts_to("+8613800138000")) == 1
    assert 'data-resend-seconds="60"' in page


@pytest.mark.parametrize("url", SEND_URLS)
def test_without_javascript_the_page_comes_back_with_the_values_kept(
    client, captcha_test_mode, url
):
    response = send_code(client, url, sms_code="12", next="/projects/1/")
    page = response.content.decode()
    assert "<!doctype html>" in page
    assert 'value="138 0013 8000"' in page  # the phone as typed, normalised
    assert 'name="sms_code" value="12"' in page
    assert 'name="next" value="/projects/1/"' in page
    assert 'name="captcha" autocomplete' in page  # the used answer is not shown again


@pytest.mark.parametrize("url", SEND_URLS)
def test_htmx_gets_the_form_only(client, captcha_test_mode, url):
    response = send_code(client, url, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<form id="account-form"')
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]


def test_the_answer_is_the_same_whether_or_not_the_phone_has_an_account(
    new_client, captcha_test_mode
):
    """No account enumeration: same status and body. The two phones mask alike (138****8000)."""
    make_user(phone="+8613800138000")
    known = send_code(new_client(), phone="13800138000")
    unknown = send_code(new_client(), phone="13800148000")
    assert known.status_code == unknown.status_code == 200
    assert page_without_tokens(known).replace("0013", "0014") == page_without_tokens(unknown)
    assert len(texts_to("+8613800138000")) == len(texts_to("+8613800148000")) == 1


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "请输入手机号。"),
        ("12345", "请输入正确的手机号。"),
        ("010-81120588", "请输入中国大陆的手机号。"),
        ("+1 415 555 2671", "请输入中国大陆的手机号。"),
    ],
)
def test_refuses_a_phone_that_is_not_a_mainland_mobile(client, captcha_test_mode, phone, message):
    page = send_code(client, phone=phone).content.decode()
    assert message in page
    assert 'class="error-summary"' in page
    assert 'href="#id_phone"' in page
    assert texts_to("+8613800138000") == []


def test_requires_the_captcha(client):
    page = client.post("/accounts/login/send-code/", {"phone": "13800138000"}).content.decode()
    assert "请输入图片中的数字验证码。" in page
    assert 'href="#id_captcha"' in page


def test_refuses_a_wrong_captcha_and_uses_it_up(client):
    solution = solve_captcha(client, client.get("/accounts/login/").content.decode())
    wrong = f"{(int(solution['captcha']) + 1) % 10000:04d}"
    data = {"phone": "13800138000", **solution}
    page = client.post("/accounts/login/send-code/", {**data, "captcha": wrong}).content.decode()
    assert "数字验证码不正确" in page
    page = client.post("/accounts/login/send-code/", data).content.decode()
    assert "数字验证码不正确" in page
    assert sms_count() == 0


def test_a_solved_captcha_sends_a_code(client):
    solution = solve_captcha(client, client.get("/accounts/login/").content.decode())
    page = client.post("/accounts/login/send-code/", {"phone": "13800138000", **solution})
    assert "验证码已发送至 138****8000" in page.content.decode()
    assert sms_count() == 1
    # The form comes back with a new image for the next send.
    assert solution["captcha_challenge"] not in page.content.decode()


def test_a_captcha_answer_sends_one_code_only(client):
    solution = solve_captcha(client, client.get("/accounts/login/").content.decode())
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        client.post("/accounts/login/send-code/", {"phone": "13800138000", **solution})
        clock.shift(61)
        page = client.post("/accounts/login/send-code/", {"phone": "13900139000", **solution})
    assert "数字验证码不正确" in page.content.decode()
    assert sms_count() == 1


def test_a_second_send_within_a_minute_is_refused_with_the_wait(client, captcha_test_mode):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        send_code(client)
        clock.shift(20)
        page = send_code(client).content.decode()
    assert "发送过于频繁，请40秒后再试。" in page
    assert 'data-resend-seconds="40"' in page
    assert sms_count() == 1


def test_the_hour_limit_says_the_time_of_the_next_send(client, captcha_test_mode):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        for _ in range(5):
            send_code(client)
            clock.shift(60)
        page = send_code(client).content.decode()
    assert "发送次数已达上限，请于10:00后再试。" in page
    assert "data-resend-seconds" not in page


def test_the_address_limit_counts_every_phone(client, new_client, captcha_test_mode, settings):
    settings.SMS_ADDRESS_LIMITS = ((20, 3600),)
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False):
        for n in range(20):
            send_code(client, phone=f"139{n:08d}")
        page = send_code(client, phone="13800138000").content.decode()
        assert "发送次数已达上限" in page
        page = send_code(new_client(REMOTE_ADDR="10.9.9.9"), phone="13800138000").content.decode()
        assert "验证码已发送" in page
    assert sms_count() == 21


@pytest.mark.parametrize("url", SEND_URLS)
def test_refuses_get(client, url):
    assert client.get(url).status_code == 405


def sms_count() -> int:
    return len(sms.outbox)
