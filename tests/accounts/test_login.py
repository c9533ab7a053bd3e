import pytest

from accounts.models import User
from tests.accounts.conftest import last_code, page_without_tokens, send_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant():
    return make_user(phone="+8613800138000")


def log_in(client, code: str, phone: str = "13800138000", **data):
    return client.post("/accounts/login/", {"phone": phone, "sms_code": code, **data})


def test_page_has_the_manuals_fields_and_links(client):
    page = client.get("/accounts/login/").content.decode()
    for text in ["手机号", "数字验证码", "刷新", "发送验证短信", "短信验证码", "返回网站首页"]:
        assert text in page
    assert "novalidate" in page
    assert page.count('<span class="required" aria-hidden="true">*</span>') == 3


def test_logs_in_with_the_texted_code(client, applicant, captcha_test_mode):
    send_code(client)
    response = log_in(client, last_code())
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == applicant.pk


def test_returns_to_the_page_the_user_came_from(client, applicant, captcha_test_mode):
    send_code(client)
    response = log_in(client, last_code(), next="/projects/7/?tab=rent")
    assert response["Location"] == "/projects/7/?tab=rent"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_never_returns_to_another_site(client, applicant, captcha_test_mode, next_url):
    send_code(client)
    response = log_in(client, last_code(), next=next_url)
    assert response["Location"] == "/"


def test_the_session_key_changes_at_login(client, applicant, captcha_test_mode):
    send_code(client)
    before = client.session.session_key
    log_in(client, last_code())
    assert client.session.session_key != before


def test_refuses_a_wrong_code_and_keeps_the_phone(client, applicant, captcha_test_mode):
    send_code(client)
    wrong = f"{(int(last_code()) + 1) % 10**6:06d}"
    response = log_in(client, wrong)
    page = response.content.decode()
    assert response.status_code == 200
    assert "短信验证码不正确或已失效" in page
    assert 'href="#id_sms_code"' in page
    assert 'value="138 0013 8000"' in page
    assert "_auth_user_id" not in client.session


def test_refuses_a_code_that_is_not_six_digits(client):
    page = log_in(client, "12ab").content.decode()
    assert "短信验证码为6位数字。" in page


def test_requires_phone_and_code(client):
    page = client.post("/accounts/login/", {}).content.decode()
    assert "请输入手机号。" in page
    assert "请输入短信验证码。" in page
    assert "提交未成功，请修改以下内容" in page


def test_a_code_logs_in_once(client, new_client, applicant, captcha_test_mode):
    send_code(client)
    code = last_code()
    log_in(client, code)
    other = new_client()
    assert log_in(other, code).status_code == 200
    assert "_auth_user_id" not in other.session


def test_an_unknown_phone_is_offered_an_account(client, captcha_test_mode):
    send_code(client, phone="13900139000")
    response = log_in(client, last_code("+8613900139000"), phone="13900139000", next="/x/")
    page = response.content.decode()
    assert "该手机号尚未注册" in page
    assert "139****9000" in page
    assert "立即注册" in page
    assert 'name="next" value="/x/"' in page
    assert not User.objects.exists()


def test_refuses_a_deactivated_account(client, captcha_test_mode):
    make_user(phone="+8613800138000", is_active=False)
    send_code(client)
    page = log_in(client, last_code()).content.decode()
    assert "该账号已停用" in page
    assert "_auth_user_id" not in client.session


def test_a_logged_in_user_can_still_open_the_page(client, applicant):
    client.force_login(applicant)
    assert client.get("/accounts/login/").status_code == 200


def test_refuses_other_methods(client):
    assert client.put("/accounts/login/").status_code == 405


def test_a_wrong_code_gets_the_same_answer_for_known_and_unknown_phones(
    new_client, captcha_test_mode
):
    make_user(phone="+8613800138000")
    phones = ("13800138000", "13800148000")  # both mask as 138****8000
    clients = {phone: new_client() for phone in phones}
    for phone, client in clients.items():
        send_code(client, phone=phone)
    codes = {last_code(f"+86{phone}") for phone in phones}
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in codes)
    known, unknown = (log_in(clients[phone], wrong, phone=phone) for phone in phones)
    assert known.status_code == unknown.status_code == 200
    assert page_without_tokens(known).replace("0013", "0014") == page_without_tokens(unknown)
