"""更改手机号码 → 发送验证码 to the new phone → 立即绑定 (manual 3.4)."""

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from tests.accounts.conftest import last_code, send_code, texts_to
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PAGE = "/accounts/profile/phone/"
SEND = "/accounts/profile/phone/send-code/"


@pytest.fixture
def user():
    return make_user(phone="+8613800138000")


@pytest.fixture
def signed_in(client, user, captcha_test_mode):
    client.force_login(user)
    return client


def bind(client, code: str, phone: str = "13900139000"):
    return client.post(PAGE, {"phone": phone, "sms_code": code})


def test_page_has_the_manuals_fields(signed_in):
    page = signed_in.get(PAGE).content.decode()
    for text in [
        "更改手机号码",
        "新手机号码",
        "数字验证码",
        "发送验证码",
        "短信验证码",
        "立即绑定",
    ]:
        assert text in page
    assert "138****8000" in page


def test_binds_the_new_phone_and_tells_the_old_one(signed_in, user):
    send_code(signed_in, SEND, phone="13900139000")
    response = bind(signed_in, last_code("+8613900139000"))
    assert response["Location"] == "/accounts/profile/"
    user.refresh_from_db()
    assert str(user.phone) == "+8613900139000"
    notice = texts_to("+8613800138000")
    assert len(notice) == 1
    assert "改为绑定手机号139****9000" in notice[0]
    assert "010-81120588" in notice[0]
    page = signed_in.get("/accounts/profile/").content.decode()
    assert "手机号码已更换为139****9000。" in page  # this session stays signed in


def test_sessions_elsewhere_are_logged_out(signed_in, user):
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get("/accounts/profile/").status_code == 200
    send_code(signed_in, SEND, phone="13900139000")
    bind(signed_in, last_code("+8613900139000"))
    assert elsewhere.get("/accounts/profile/").status_code == 302
    assert signed_in.get("/accounts/profile/").status_code == 200


def test_the_new_phone_logs_in_afterwards(signed_in, new_client):
    with time_machine.travel("2026-06-01 09:00 +08:00", tick=False) as clock:
        send_code(signed_in, SEND, phone="13900139000")
        bind(signed_in, last_code("+8613900139000"))
        clock.shift(60)  # one text per phone per minute
        fresh = new_client()
        send_code(fresh, phone="13900139000")
        code = last_code("+8613900139000")
        fresh.post("/accounts/login/", {"phone": "13900139000", "sms_code": code})
        assert "_auth_user_id" in fresh.session


def test_refuses_a_phone_of_another_account(signed_in, user):
    make_user(phone="+8613900139000")
    send_code(signed_in, SEND, phone="13900139000")
    page = bind(signed_in, last_code("+8613900139000")).content.decode()
    assert "该手机号码已注册其他账号" in page
    assert "010-81120588" in page
    user.refresh_from_db()
    assert str(user.phone) == "+8613800138000"
    assert texts_to("+8613800138000") == []


def test_refuses_the_current_phone(signed_in):
    page = send_code(signed_in, SEND, phone="13800138000").content.decode()
    assert "新手机号码与当前手机号码相同。" in page
    assert texts_to("+8613800138000") == []


def test_refuses_a_login_code(signed_in, new_client, user):
    # A code texted for logging in to the new phone is not a code for binding it.
    send_code(new_client(), phone="13900139000")
    page = bind(signed_in, last_code("+8613900139000")).content.decode()
    assert "短信验证码不正确或已失效" in page
    user.refresh_from_db()
    assert str(user.phone) == "+8613800138000"


def test_refuses_a_code_asked_for_by_another_account(signed_in, new_client, user):
    intruder = new_client()
    intruder.force_login(make_user())
    send_code(intruder, SEND, phone="13900139000")
    page = bind(signed_in, last_code("+8613900139000")).content.decode()
    assert "短信验证码不正确或已失效" in page


def test_send_swaps_the_form_for_htmx(signed_in):
    response = send_code(signed_in, SEND, phone="13900139000", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<form id="account-form"')
    assert "验证码已发送至 139****9000" in page


def test_send_follows_the_limits(signed_in):
    send_code(signed_in, SEND, phone="13900139000")
    page = send_code(signed_in, SEND, phone="13900139000").content.decode()
    assert "发送过于频繁" in page
    assert len(texts_to("+8613900139000")) == 1


def test_anonymous_visitors_are_sent_to_login(client):
    assert client.get(PAGE)["Location"] == f"/accounts/login/?next={PAGE}"
    assert client.post(SEND)["Location"].startswith("/accounts/login/")
    assert not User.objects.exists()


def test_send_refuses_get(signed_in):
    assert signed_in.get(SEND).status_code == 405
