"""Generated bad input posted to every account form and its htmx variant (issue 10, finding 7):
注册, 登录 and their 发送验证短信, 立即注册, 退出, 立即实名, 更改手机号码, the consents,
下载我的个人信息 and 注销账号, and admin's login, as an anonymous visitor and as a signed-in
applicant. No response is a server error, no redirect leaves the site, and a refused post
changes nothing stored (tests/strategies.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from tests.clock import MORNING
from tests.factories import make_applicant, make_staff, make_user
from tests.strategies import changes, choice_or_text, extra_fields, stays_on_site, stored, texts

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]

PHONES = ["13800138000", "+8613900000001", "139 0000 0001", "12345"]

account_fields = st.fixed_dictionaries(
    {
        "phone": choice_or_text(PHONES),
        "captcha": choice_or_text(["1234", "PASSED"]),
        "sms_code": choice_or_text(["123456", "000000"]),
        "next": choice_or_text(["/records/", "//evil.example/", "https://evil.example/"]),
    },
    optional={"real_name": choice_or_text(["张三", "王小明"]), "id_number": texts},
).flatmap(lambda fields: extra_fields().map(lambda extra: {**extra, **fields}))

ACCOUNT_POSTS = [
    "/accounts/login/",
    "/accounts/login/send-code/",
    "/accounts/login/create/",
    "/accounts/register/",
    "/accounts/register/send-code/",
    "/accounts/profile/real-name/",
    "/accounts/profile/phone/",
    "/accounts/profile/phone/send-code/",
    "/accounts/profile/consent/",
    "/accounts/consent/",
    "/privacy/my-data/",
    "/privacy/my-data/send-code/",
    "/privacy/close/",
    "/privacy/close/send-code/",
    "/accounts/logout/",
]


@pytest.fixture
def people(db):
    """An applicant with a real name, another without, and a staff member."""
    return {
        "verified": make_applicant(phone="+8613900000001", name="李四"),
        "unverified": make_user(phone="+8613900000002"),
        "staff": make_staff(phone="+8613800000000", password="correct-horse-2026"),
    }


def everything_stored():
    return stored(User.objects.all())


def post(client, url: str, data: dict, *, htmx: bool):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(url, data, **headers)
    assert response.status_code < 500, (url, data)
    assert stays_on_site(response), (url, response["Location"])
    return response


@pytest.mark.parametrize("url", ACCOUNT_POSTS)
@pytest.mark.parametrize("who", ["anonymous", "verified", "unverified"])
@given(data=account_fields, htmx=st.booleans())
def test_account_forms_refuse_bad_input_without_changing_anything(
    client, people, url, who, data, htmx
):
    client.logout()
    if who != "anonymous":
        client.force_login(people[who])
    before = everything_stored()
    post(client, url, data, htmx=htmx)
    signed_in_as = client.session.get("_auth_user_id")
    expected = None if who == "anonymous" else str(people[who].pk)
    if url.endswith("/logout/"):
        assert signed_in_as is None
        return
    # A real name given right is the one post here that may change what is stored.
    named = url.endswith("/real-name/") and who == "unverified"
    if not (named and User.objects.get(pk=people[who].pk).has_real_name):
        assert not changes(before, everything_stored())
    assert signed_in_as == expected, (url, data)


@given(
    data=st.fixed_dictionaries(
        {"username": choice_or_text([*PHONES, "13800000000"]), "password": texts},
        optional={"next": choice_or_text(["/admin/", "//evil.example/"])},
    )
)
def test_admin_login_refuses_bad_input_without_changing_anything(client, people, data):
    client.logout()
    before = everything_stored()
    post(client, "/admin/login/", data, htmx=False)
    assert "_auth_user_id" not in client.session
    assert not changes(before, everything_stored())
