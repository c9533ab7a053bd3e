"""One log line per request (rentcenter/logs.py): its fields, the request id echoed, and never a
phone or an ID number in any line."""

import json
import logging

import pytest

from rentcenter.logs import JsonFormatter, RequestIdFilter, redact
from tests.factories import make_user
from tests.rentcenter.test_settings import DEVELOPMENT, PRODUCTION, run_settings

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"


def request_lines(caplog) -> list[dict]:
    return [
        json.loads(JsonFormatter().format(record))
        for record in caplog.records
        if record.name == "rentcenter.requests"
    ]


def test_one_json_line_per_request_with_its_fields(client, caplog):
    caplog.set_level(logging.INFO, logger="rentcenter.requests")
    user = make_user()
    client.force_login(user)
    response = client.get("/accounts/profile/?phone=13800138000&tab=1")
    [line] = request_lines(caplog)
    assert line["message"].startswith("GET /accounts/profile/ 200 ")
    assert line["level"] == "INFO"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == user.pk
    assert line["method"] == "GET"
    assert line["path"] == "/accounts/profile/"  # no query string
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert "13800138000" not in json.dumps(line)


def test_anonymous_requests_have_no_user(client, caplog):
    caplog.set_level(logging.INFO, logger="rentcenter.requests")
    client.get("/accounts/login/")
    [line] = request_lines(caplog)
    assert line["user_id"] is None
    assert line["status"] == 200


def test_a_well_formed_request_id_is_kept_and_echoed(client, caplog):
    caplog.set_level(logging.INFO, logger="rentcenter.requests")
    given = "5f0c6a3e9b1d4c2a8e7f6b5a4c3d2e1f"
    response = client.get("/accounts/login/", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] == given
    assert request_lines(caplog)[0]["request_id"] == given


@pytest.mark.parametrize(
    "given", ["short", "a" * 65, "abc def 1234", 'x"\nforged line 12345', "id;rm -rf /"]
)
def test_a_malformed_request_id_is_replaced(client, caplog, given):
    caplog.set_level(logging.INFO, logger="rentcenter.requests")
    response = client.get("/accounts/login/", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32
    assert request_lines(caplog)[0]["request_id"] == response["X-Request-ID"]


def test_every_request_gets_its_own_id(client):
    first = client.get("/accounts/login/")["X-Request-ID"]
    assert client.get("/accounts/login/")["X-Request-ID"] != first


def test_probes_are_logged_only_when_not_ok(client, caplog):
    caplog.set_level(logging.INFO, logger="rentcenter.requests")
    assert client.get("/healthz")["X-Request-ID"]
    assert request_lines(caplog) == []


def test_lines_logged_during_a_request_carry_its_id(client, caplog, settings):
    """The console handler's filter, here on the capturing handler: a line logged by a view."""
    settings.IDENTITY_VERIFIER = "refuse"
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    client.force_login(make_user())
    response = client.post(
        "/accounts/profile/real-name/", {"real_name": "王小明", "id_number": ID_NUMBER}
    )
    [refused] = [r for r in caplog.records if "identity verifier refused" in r.getMessage()]
    assert refused.request_id == response["X-Request-ID"]


def test_the_server_error_lines_django_logs_after_the_answer_carry_its_id(client, caplog):
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    response = client.get("/no-such-page/?phone=x-secret")
    [not_found] = [r for r in caplog.records if r.name == "django.request"]
    assert not_found.request_id == response["X-Request-ID"]
    line = json.loads(JsonFormatter().format(not_found))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["status_code"] == 404
    assert "x-secret" not in json.dumps(line)  # the request (and its query) is left out


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("SMS to +8613800138000 was not accepted", "SMS to [手机号] was not accepted"),
        ("phone 138 0013 8000", "phone [手机号]"),
        ("id 11010519491231002X and 110105194912310021.", "id [身份证号] and [身份证号]."),
        ("request 5f0c13800138000a4c3d", "request 5f0c13800138000a4c3d"),  # inside a token
        ("took 12345 ms, 1234567890 bytes", "took 12345 ms, 1234567890 bytes"),
    ],
)
def test_phones_and_id_numbers_are_masked_whoever_logs_them(message, expected):
    assert redact(message) == expected
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, message, (), None)
    assert json.loads(JsonFormatter().format(record))["message"] == expected


FORMAT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.LOG_FORMAT, s.LOGGING['handlers']['console']['formatter'])"
)


def test_production_logs_json_lines_and_development_text(tmp_path):
    assert run_settings(tmp_path, FORMAT, **PRODUCTION).stdout.split() == ["json", "json"]
    assert run_settings(tmp_path, FORMAT, **DEVELOPMENT).stdout.split() == ["text", "text"]
    text = run_settings(tmp_path, FORMAT, **PRODUCTION, LOG_FORMAT="text")
    assert text.stdout.split() == ["text", "text"]


def test_settings_refuse_an_unknown_log_format(tmp_path):
    result = run_settings(tmp_path, FORMAT, **DEVELOPMENT, LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json" in result.stderr


WIRED = (
    "import django; django.setup(); from django.test import Client; "
    "Client().get('/no-such-page/?phone=13800138000', HTTP_X_REQUEST_ID='abcdefgh12345678')"
)


def test_the_configured_handler_writes_json_lines(tmp_path):
    """LOGGING as the production settings build it, in a process of its own: the log lines on
    stderr are JSON (WhiteNoise's warning about the missing static folder is Python's)."""
    environment = {**PRODUCTION, "REDIS_URL": "", "ALLOW_LOCAL_CACHE": "1"}
    result = run_settings(tmp_path, WIRED, **environment, ALLOWED_HOSTS="testserver")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 2  # the request's line and Django's "Not Found"
    [request] = [line for line in lines if line["name"] == "rentcenter.requests"]
    assert request["path"] == "/no-such-page/"
    assert request["status"] == 404
    assert request["request_id"] == "abcdefgh12345678"
    assert all(line["request_id"] == "abcdefgh12345678" for line in lines)
    assert "13800138000" not in result.stderr
