"""The circuit breaker against SMS pumping (issue #10, finding 6): past a site-wide ceiling of
texts per minute, sends need a captcha drawn moments before, and staff see an alert."""

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags
from phonenumber_field.phonenumber import PhoneNumber

from accounts import otp
from tests.accounts.conftest import solve_captcha
from tests.clock import beijing
from tests.factories import make_plan, make_staff

pytestmark = pytest.mark.django_db

OPENING = beijing(2026, 6, 1, 9, 0)


@pytest.fixture
def ceiling(settings, time_machine):
    time_machine.move_to(OPENING, tick=False)
    settings.SMS_SITE_CEILING_PER_MINUTE = 3
    settings.SMS_SURGE_CAPTCHA_SECONDS = 60
    return time_machine


def send_texts(count: int, *, first: int = 0) -> None:
    for n in range(first, first + count):
        phone = PhoneNumber.from_string(f"+86139{n:08d}")
        otp.send_code(phone=phone, purpose=otp.Purpose.LOGIN, address=f"10.0.{n // 200}.1")


def test_the_defaults_are_documented_numbers(settings):
    assert settings.SMS_SITE_CEILING_PER_MINUTE == 1000
    assert settings.SMS_SURGE_CAPTCHA_SECONDS == 60


def test_up_to_the_ceiling_nothing_changes(ceiling):
    send_texts(3)
    assert not otp.in_surge()
    assert otp.captcha_max_age() is None
    assert otp.surge_alert() is None


def test_one_text_over_the_ceiling_trips_the_breaker_and_says_so(ceiling, caplog):
    send_texts(3)
    with caplog.at_level(logging.WARNING, logger="accounts.otp"):
        send_texts(1, first=3)
    assert otp.in_surge()
    assert otp.captcha_max_age() == 60
    alert = otp.surge_alert()
    assert alert.since == alert.last == OPENING
    assert alert.active
    assert "SMS surge" in caplog.text


def test_the_breaker_stays_on_for_the_next_minute_then_goes_off(ceiling):
    send_texts(4)
    ceiling.shift(60)
    assert otp.in_surge()
    ceiling.shift(60)
    assert not otp.in_surge()
    alert = otp.surge_alert()
    assert alert is not None  # staff still see that it happened
    assert not alert.active
    ceiling.shift(otp.SURGE_ALERT_SECONDS)
    assert otp.surge_alert() is None


def test_a_later_minute_over_the_ceiling_keeps_the_first_ones_time(ceiling):
    send_texts(4)
    ceiling.shift(5 * 60)
    send_texts(4, first=10)
    alert = otp.surge_alert()
    assert alert.since == OPENING
    assert alert.last == OPENING + timedelta(minutes=5)


def send_with_an_image_drawn(client: Client, ceiling, seconds_before: int) -> str:
    solution = solve_captcha(client, client.get("/accounts/login/").content.decode())
    ceiling.shift(seconds_before)
    data = {"phone": "13800138000", **solution}
    return client.post("/accounts/login/send-code/", data).content.decode()


def test_in_a_surge_an_image_solved_a_while_ago_is_refused(ceiling, client):
    send_texts(4)
    page = send_with_an_image_drawn(client, ceiling, 61)
    assert "数字验证码不正确，请按新图片重新输入。" in page
    assert "验证码已发送" not in page


def test_in_a_surge_a_just_drawn_image_sends(ceiling, client):
    send_texts(4)
    page = send_with_an_image_drawn(client, ceiling, 20)
    assert "验证码已发送至 138****8000" in page


def test_outside_a_surge_an_image_keeps_its_ten_minutes(ceiling, client):
    page = send_with_an_image_drawn(client, ceiling, 9 * 60)
    assert "验证码已发送至 138****8000" in page


def test_staff_see_the_alert_on_the_dashboard(ceiling):
    plan = make_plan()
    client = Client()
    client.force_login(make_staff(superuser=True))
    url = reverse("admin:plans_plan_dashboard", args=[plan.pk])
    assert 'id="sms-surge"' not in client.get(url).content.decode()
    send_texts(4)
    page = client.get(url).content.decode()
    assert 'id="sms-surge"' in page
    assert "短信发送量异常：自 2026年6月1日 09:00 起" in strip_tags(page)
    assert "超过 3 条" in page
    assert "目前每次发送都需要刚刚生成的图片验证码。" in page
    ceiling.shift(120)
    assert "发送量已回落，限制已解除。" in client.get(url).content.decode()
