"""The second-factor pages' one field (issue 16): a wrong code is said once, beside the field and
announced, and the box is empty for the next try."""

import re

import pytest

from tests.accounts.test_second_factor import (  # noqa: F401
    PASSWORD,
    _quick_hashes,
    password_login,
    prove_phone,
)
from tests.clock import MORNING
from tests.factories import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MORNING, tick=False)]

WRONG = "123456"


def token_input(page: str) -> str:
    return re.search(r'<input[^>]*name="token"[^>]*>', page).group()


@pytest.mark.parametrize(
    ("url", "authenticator", "refusal"),
    [
        ("/admin/second-factor/", True, "验证码不正确。请输入身份验证器应用当前显示的 6 位数字"),
        ("/admin/second-factor/enrol/", False, "验证码不正确。请确认已扫描本页的二维码"),
    ],
)
def test_a_wrong_code_is_said_once_and_cleared(client, url, authenticator, refusal):
    staff = make_staff(password=PASSWORD, authenticator=authenticator)
    password_login(client, staff)
    if not authenticator:
        prove_phone(client, staff)  # enrolment opens after a code texted to the phone

    page = client.post(url, {"token": WRONG}).content.decode()

    assert page.count(refusal) == 1
    assert 'class="errornote"' not in page
    assert '<div id="id_token_error" role="alert"><ul class="errorlist"><li>' in page
    field = token_input(page)
    assert WRONG not in field
    assert "value=" not in field
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_token_error"' in field


def test_a_code_too_long_is_not_typed_back_either(client):
    staff = make_staff(password=PASSWORD)
    password_login(client, staff)

    page = client.post("/admin/second-factor/", {"token": "9" * 40}).content.decode()

    assert page.count("验证码不超过 32 个字符。") == 1
    assert "9" * 40 not in page
