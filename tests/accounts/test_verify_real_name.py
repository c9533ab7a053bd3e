"""立即实名 on 个人中心-基本信息."""

import pytest

from tests.accounts.factories import make_verified_user
from tests.factories import make_user

pytestmark = pytest.mark.django_db

URL = "/accounts/profile/real-name/"


def verify(client, name="王小明", id_number="11010519491231002X", **data):
    return client.post(URL, {"real_name": name, "id_number": id_number, **data})


def test_verifies_and_returns_to_the_profile(client):
    user = make_user()
    client.force_login(user)
    response = verify(client)
    assert response["Location"] == "/accounts/profile/"
    user.refresh_from_db()
    assert user.has_real_name
    page = client.get("/accounts/profile/").content.decode()
    assert "实名认证成功。" in page


def test_returns_to_the_page_that_asked_for_it(client):
    client.force_login(make_user())
    response = verify(client, next="/plans/1/info/")
    assert response["Location"] == "/plans/1/info/"


def test_never_returns_to_another_site(client):
    client.force_login(make_user())
    response = verify(client, next="https://evil.example/")
    assert response["Location"] == "/accounts/profile/"


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("", "请输入证件号码。"),
        ("1101051949", "证件号码应为18位"),
        ("110105194912310021", "证件号码校验位不正确"),
        ("110105299912310021", "出生日期晚于今天"),
    ],
)
def test_explains_what_is_wrong_with_the_number(client, id_number, message):
    client.force_login(make_user())
    response = verify(client, id_number=id_number)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'href="#id_id_number"' in page
    assert "field--error" in page
    assert 'value="王小明"' in page  # the name is kept


def test_requires_a_name(client):
    client.force_login(make_user())
    page = verify(client, name="").content.decode()
    assert "请输入真实姓名。" in page


def test_refuses_a_number_verified_by_another_account(client):
    make_verified_user(id_number="11010519491231002X")
    user = make_user()
    client.force_login(user)
    page = verify(client).content.decode()
    assert "该证件号码已在其他账号完成实名认证" in page
    assert "请联系客服：010-81120588" in page
    user.refresh_from_db()
    assert not user.has_real_name


def test_shows_the_verifiers_refusal(client, settings):
    settings.IDENTITY_VERIFIER = "refuse"
    client.force_login(make_user())
    page = verify(client).content.decode()
    assert "姓名与证件号码不一致" in page


def test_anonymous_visitors_are_sent_to_login(client):
    response = verify(client)
    assert response["Location"].startswith("/accounts/login/")


def test_refuses_get(client):
    client.force_login(make_user())
    assert client.get(URL).status_code == 405
