import pytest

from accounts.models import User
from tests.accounts.conftest import last_code, send_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SEND = "/accounts/register/send-code/"


def register(client, code: str, phone: str = "13800138000", **data):
    return client.post("/accounts/register/", {"phone": phone, "sms_code": code, **data})


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
