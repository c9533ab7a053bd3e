import re

import pytest

from accounts import consent
from accounts.models import Consent, User
from tests.accounts.conftest import last_code, send_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SEND = "/accounts/register/send-code/"


def register(client, code: str, phone: str = "13800138000", **data):
    """注册 with the 个人信息处理规则 agreed to, unless agree="" says otherwise."""
    fields = {"phone": phone, "sms_code": code, "agree": "on", **data}
    return client.post("/accounts/register/", {k: v for k, v in fields.items() if v != ""})


def test_page_has_the_manuals_fields_and_links(client):
    page = client.get("/accounts/register/").content.decode()
    for text in [
        "注册",
        "手机号",
        "数字验证码",
        "刷新",
        "发送验证短信",
        "短信验证码",
        "返回网站首页",
    ]:
        assert text in page


def test_creates_an_account_without_password_and_logs_in(client, captcha_test_mode):
    send_code(client, SEND, phone="138 0013 8000")
    response = register(client, last_code())
    user = User.objects.get()
    assert str(user.phone) == "+8613800138000"
    assert not user.has_usable_password()
    assert not user.has_real_name
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_a_phone_with_an_account_logs_into_it(client, captcha_test_mode):
    existing = make_user(phone="+8613800138000")
    send_code(client, SEND)
    register(client, last_code())
    assert User.objects.count() == 1
    assert int(client.session["_auth_user_id"]) == existing.pk


def test_a_code_from_the_login_page_works_here(client, captcha_test_mode):
    send_code(client)
    register(client, last_code())
    assert User.objects.count() == 1


def test_follows_next_on_this_site_only(client, captcha_test_mode):
    send_code(client, SEND)
    response = register(client, last_code(), next="https://evil.example/")
    assert response["Location"] == "/"


def test_refuses_a_wrong_code(client, captcha_test_mode):
    send_code(client, SEND)
    wrong = f"{(int(last_code()) + 1) % 10**6:06d}"
    page = register(client, wrong).content.decode()
    assert "短信验证码不正确或已失效" in page
    assert not User.objects.exists()


def test_refuses_without_a_code_sent(client):
    page = register(client, "123456").content.decode()
    assert "短信验证码不正确或已失效" in page
    assert not User.objects.exists()


def test_refuses_other_methods(client):
    assert client.delete("/accounts/register/").status_code == 405


def test_page_offers_the_rules_with_the_box_unticked(client):
    page = client.get("/accounts/register/").content.decode()
    assert "我已阅读并同意《个人信息处理规则》" in page
    assert 'href="/privacy/rules/"' in page
    box = re.search(r'<input type="checkbox" name="agree"[^>]*>', page).group()
    assert "checked" not in box


def test_refuses_without_agreement_and_keeps_what_was_typed(client, captcha_test_mode):
    send_code(client, SEND)
    code = last_code()
    page = register(client, code, agree="").content.decode()
    assert "请阅读《个人信息处理规则》并勾选同意。" in page
    assert 'value="138 0013 8000"' in page or 'value="+8613800138000"' in page
    assert not User.objects.exists()
    # The code was not spent by the refused post: ticking the box is enough.
    register(client, code)
    assert User.objects.count() == 1


def test_records_the_agreement_with_version_time_and_address(client, captcha_test_mode, now):
    send_code(client, SEND)
    data = {"phone": "13800138000", "sms_code": last_code(), "agree": "on"}
    client.post("/accounts/register/", data, REMOTE_ADDR="203.0.113.9")
    agreement = Consent.objects.get()
    assert agreement.user == User.objects.get()
    assert agreement.kind == Consent.Kind.RULES
    assert agreement.version == consent.current().number
    assert agreement.given_at == now
    assert agreement.address == "203.0.113.9"
    # The separate consent to sensitive information is asked for later, before 实名.
    assert not Consent.objects.filter(kind=Consent.Kind.SENSITIVE).exists()


def test_the_box_stays_ticked_when_a_code_is_sent(client, captcha_test_mode):
    page = send_code(client, SEND, agree="on").content.decode()
    box = re.search(r'<input type="checkbox" name="agree"[^>]*>', page).group()
    assert "checked" in box
