import pytest

from tests.accounts.factories import make_verified_user
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/accounts/profile/")
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_shows_the_masked_phone_and_the_real_name_form(client):
    client.force_login(make_user(phone="+8613800138000"))
    page = client.get("/accounts/profile/").content.decode()
    assert "个人中心-基本信息" in page
    assert "138****8000" in page
    assert "13800138000" not in page
    assert "未实名" in page
    for text in ["真实姓名", "证件号码", "立即实名", "更改手机号码"]:
        assert text in page


def test_header_offers_to_verify(client):
    client.force_login(make_user())
    page = client.get("/").content.decode()
    assert ">去实名</a>" in page


def test_shows_a_verified_real_name_masked(client):
    user = make_verified_user(real_name="王小明", id_number="11010519491231002X")
    client.force_login(user)
    page = client.get("/accounts/profile/").content.decode()
    assert "已实名" in page
    assert "王小明" in page
    assert "110105********002X" in page
    assert "11010519491231002X" not in page
    assert "女" in page
    assert "1949年12月31日" in page
    assert "立即实名" not in page
    assert "去实名" not in page


def test_keeps_next_for_after_verification(client):
    client.force_login(make_user())
    page = client.get("/accounts/profile/?next=/plans/1/info/").content.decode()
    assert 'name="next" value="/plans/1/info/"' in page


def test_drops_a_foreign_next(client):
    client.force_login(make_user())
    page = client.get("/accounts/profile/?next=https://evil.example/").content.decode()
    assert "evil.example" not in page


def test_refuses_post(client):
    client.force_login(make_user())
    assert client.post("/accounts/profile/").status_code == 405
