import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings

from rentcenter import sms
from rentcenter.sms import SmsError, recent_messages
from tests.sms_gateway import Gateway, running_gateway


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def gateway(settings) -> Iterator[Gateway]:
    with running_gateway() as gateway:
        settings.SMS_BACKEND = "http"
        settings.SMS_GATEWAY_URL = gateway.url
        settings.SMS_GATEWAY_KEY = "gateway-secret"
        yield gateway


def test_locmem_keeps_messages_in_the_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    sms.send(phone="+8613800138000", text="您的验证码为123456")
    assert [(m.phone, m.text) for m in sms.outbox] == [("+8613800138000", "您的验证码为123456")]


def test_console_prints_phone_and_text(settings, capsys):
    settings.SMS_BACKEND = "console"
    sms.send(phone="+8613800138000", text="您的验证码为123456")
    assert "[SMS to +8613800138000] 您的验证码为123456" in capsys.readouterr().out


def test_file_appends_one_json_line_per_message(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms" / "outbox.jsonl"
    sms.send(phone="+8613800138000", text="第一条")
    sms.send(phone="+8613900139000", text="第二条")
    lines = settings.SMS_FILE_PATH.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["phone"] for line in lines] == ["+8613800138000", "+8613900139000"]
    assert json.loads(lines[0])["text"] == "第一条"
    assert "第一条" in lines[0]  # readable, not \\u escapes


def test_recent_messages_reads_the_file_newest_first(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "outbox.jsonl"
    assert recent_messages() == []
    for n in range(3):
        sms.send(phone="+8613800138000", text=f"第{n}条")
    assert [m.text for m in recent_messages(limit=2)] == ["第2条", "第1条"]


def test_recent_messages_is_none_for_the_console(settings):
    settings.SMS_BACKEND = "console"
    assert recent_messages() is None


def test_http_posts_json_with_the_key_and_returns_the_gateway_id(gateway):
    assert sms.send(phone="+8613800138000", text="您的验证码为123456") == "gw-1"
    assert gateway.received == [
        {
            "body": {"phone": "+8613800138000", "text": "您的验证码为123456"},
            "authorization": "Bearer gateway-secret",
            "content_type": "application/json; charset=utf-8",
        }
    ]


def test_http_refusal_raises_for_the_outbox_to_retry(gateway):
    gateway.status = 500
    with pytest.raises(SmsError, match="gateway answered 500"):
        sms.send(phone="+8613800138000", text="您的验证码为123456")


def test_http_slow_answer_is_a_failure_after_the_timeout(gateway, settings):
    settings.SMS_GATEWAY_TIMEOUT = 0.2
    gateway.delay = 1
    with pytest.raises(SmsError, match="unreachable"):
        sms.send(phone="+8613800138000", text="x")


def test_http_unreachable_gateway_raises(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/send"  # discard port: nothing listens
    settings.SMS_GATEWAY_KEY = "k"
    with pytest.raises(SmsError, match="unreachable"):
        sms.send(phone="+8613800138000", text="x")


def test_gateway_message_id_is_read_from_a_json_answer():
    assert sms.gateway_message_id(b'{"message_id": 42}') == "42"
    assert sms.gateway_message_id(b"OK") == ""
    assert sms.gateway_message_id(b"[1]") == ""


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", "import rentcenter.settings"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_an_unknown_backend():
    result = _load_settings(DEBUG="1", SMS_BACKEND="carrier-pigeon")
    assert "SMS_BACKEND must be one of console, file, locmem, http" in result.stderr


def test_settings_refuse_the_http_backend_without_url_and_key():
    result = _load_settings(DEBUG="1", SMS_BACKEND="http", SMS_GATEWAY_URL="", SMS_GATEWAY_KEY="")
    assert "SMS_BACKEND=http needs SMS_GATEWAY_URL and SMS_GATEWAY_KEY" in result.stderr


def test_settings_refuse_a_gateway_address_that_is_not_http():
    result = _load_settings(
        DEBUG="1", SMS_BACKEND="http", SMS_GATEWAY_URL="file:///etc/passwd", SMS_GATEWAY_KEY="k"
    )
    assert "SMS_GATEWAY_URL must be an http(s):// address" in result.stderr
