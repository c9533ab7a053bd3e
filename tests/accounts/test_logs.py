"""No phone number and no ID number in any log line of a login or a 实名 verification
(rentcenter/logs.py), in either format."""

import logging

import pytest

from rentcenter.logs import JsonFormatter, RequestIdFilter, TextFormatter
from tests.accounts.conftest import last_code, send_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def lines(caplog):
    """Every record logged during the test, as the JSON and the text formatters write it."""
    caplog.set_level(logging.DEBUG)
    request_ids = RequestIdFilter()

    def formatted() -> list[str]:
        out = []
        for record in caplog.records:
            request_ids.filter(record)
            out.append(JsonFormatter().format(record))
            out.append(
                TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s").format(record)
            )
        return out

    return formatted


def test_no_phone_in_any_line_of_a_login(client, captcha_test_mode, lines):
    make_user(phone="+86" + PHONE)
    send_code(client, phone=PHONE)
    response = client.post("/accounts/login/", {"phone": PHONE, "sms_code": last_code()})
    assert response.status_code == 302
    logged = lines()
    assert any('"path": "/accounts/login/"' in line for line in logged)
    for line in logged:
        assert PHONE not in line
        assert "0013" + "8000" not in line


def test_no_id_number_in_any_line_of_a_real_name_verification(client, lines):
    client.force_login(make_user(phone="+86" + PHONE))
    response = client.post(
        "/accounts/profile/real-name/", {"real_name": "王小明", "id_number": ID_NUMBER}
    )
    assert response["Location"] == "/accounts/profile/"
    logged = lines()
    assert any('"path": "/accounts/profile/real-name/"' in line for line in logged)
    for line in logged:
        assert ID_NUMBER not in line
        assert ID_NUMBER.lower() not in line
        assert PHONE not in line
