"""立即注册, offered by 登录 to a proved phone without an account."""

import pytest
import time_machine

from accounts.models import Consent, User
from tests.accounts.conftest import last_code, send_code

pytestmark = pytest.mark.django_db


def prove_unknown_phone(client, **data):
    send_code(client, phone="13900139000")
    code = last_code("+8613900139000")
    client.post("/accounts/login/", {"phone": "13900139000", "sms_code": code, **data})


def test_creates_the_account_and_logs_in(client, captcha_test_mode):
    prove_unknown_phone(client)
    response = client.post("/accounts/login/create/", {"next": "/projects/1/", "agree": "on"})
    user = User.objects.get()
    assert str(user.phone) == "+8613900139000"
    assert not user.has_usable_password()
    assert response["Location"] == "/projects/1/"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_the_offer_is_good_once(client, captcha_test_mode):
    prove_unknown_phone(client)
    client.post("/accounts/login/create/", {"agree": "on"})
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/create/", {"agree": "on"})
    assert response["Location"] == "/accounts/register/"
    assert User.objects.count() == 1


def test_needs_a_proved_phone(client):
    response = client.post("/accounts/login/create/")
    assert response["Location"] == "/accounts/register/"
    assert not User.objects.exists()


def test_the_offer_expires_after_ten_minutes(client, captcha_test_mode):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        prove_unknown_phone(client)
        clock.shift(10 * 60 + 1)
        response = client.post("/accounts/login/create/", {"agree": "on"})
    assert response["Location"] == "/accounts/register/"
    assert not User.objects.exists()


def test_refuses_get(client):
    assert client.get("/accounts/login/create/").status_code == 405


def test_asks_for_agreement_and_keeps_the_offer(client, captcha_test_mode):
    prove_unknown_phone(client)
    page = client.post("/accounts/login/create/").content.decode()
    assert "请阅读《个人信息处理规则》并勾选同意。" in page
    assert "立即注册" in page
    assert not User.objects.exists()
    client.post("/accounts/login/create/", {"agree": "on"})
    user = User.objects.get()
    assert user.consents.get().kind == Consent.Kind.RULES


def test_the_offer_shows_the_box_unticked(client, captcha_test_mode):
    send_code(client, phone="13900139000")
    code = last_code("+8613900139000")
    page = client.post("/accounts/login/", {"phone": "13900139000", "sms_code": code})
    html = page.content.decode()
    assert "我已阅读并同意《个人信息处理规则》" in html
    assert 'name="agree"' in html
    assert "checked" not in html.split('name="agree"')[1].split(">")[0]
