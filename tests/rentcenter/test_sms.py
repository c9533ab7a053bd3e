import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from rentcenter import sms
from rentcenter.sms import recent_messages, send_sms

# send_sms waits for the commit: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


class FakeGateway(BaseHTTPRequestHandler):
    """The SMS provider: records what it gets, answers with the status the test asks for."""

    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        FakeGateway.received.append(
            {
                "body": json.loads(self.rfile.read(length)),
                "authorization": self.headers["Authorization"],
                "content_type": self.headers["Content-Type"],
            }
        )
        self.send_response(FakeGateway.status)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway(settings) -> Iterator[type[FakeGateway]]:
    FakeGateway.received = []
    FakeGateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_KEY = "gateway-secret"
    yield FakeGateway
    server.shutdown()
    server.server_close()


def test_locmem_keeps_messages_in_the_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    send_sms(phone="+8613800138000", text="您的验证码为123456")
    assert [(m.phone, m.text) for m in sms.outbox] == [("+8613800138000", "您的验证码为123456")]


def test_waits_for_the_transaction_to_commit(settings):
    settings.SMS_BACKEND = "locmem"
    with transaction.atomic():
        send_sms(phone="+8613800138000", text="一")
        assert sms.outbox == []
    assert len(sms.outbox) == 1


def test_sends_nothing_when_the_transaction_rolls_back(settings):
    settings.SMS_BACKEND = "locmem"

    def send_then_fail() -> None:
        with transaction.atomic():
            send_sms(phone="+8613800138000", text="一")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        send_then_fail()
    assert sms.outbox == []


def test_console_prints_phone_and_text(settings, capsys):
    settings.SMS_BACKEND = "console"
    send_sms(phone="+8613800138000", text="您的验证码为123456")
    assert "[SMS to +8613800138000] 您的验证码为123456" in capsys.readouterr().out


def test_file_appends_one_json_line_per_message(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms" / "outbox.jsonl"
    send_sms(phone="+8613800138000", text="第一条")
    send_sms(phone="+8613900139000", text="第二条")
    lines = settings.SMS_FILE_PATH.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["phone"] for line in lines] == ["+8613800138000", "+8613900139000"]
    assert json.loads(lines[0])["text"] == "第一条"
    assert "第一条" in lines[0]  # readable, not \\u escapes


def test_recent_messages_reads_the_file_newest_first(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "outbox.jsonl"
    assert recent_messages() == []
    for n in range(3):
        send_sms(phone="+8613800138000", text=f"第{n}条")
    assert [m.text for m in recent_messages(limit=2)] == ["第2条", "第1条"]


def test_recent_messages_is_none_for_the_console(settings):
    settings.SMS_BACKEND = "console"
    assert recent_messages() is None


def test_http_posts_json_with_the_key(gateway):
    send_sms(phone="+8613800138000", text="您的验证码为123456")
    assert gateway.received == [
        {
            "body": {"phone": "+8613800138000", "text": "您的验证码为123456"},
            "authorization": "Bearer gateway-secret",
            "content_type": "application/json; charset=utf-8",
        }
    ]


def test_http_refusal_is_logged_not_raised(gateway, caplog):
    gateway.status = 500
    send_sms(phone="+8613800138000", text="您的验证码为123456")
    assert len(gateway.received) == 1
    assert "SMS to +8613800138000 was not accepted" in caplog.text


def test_http_unreachable_gateway_is_logged(settings, caplog):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/send"  # discard port: nothing listens
    settings.SMS_GATEWAY_KEY = "k"
    send_sms(phone="+8613800138000", text="x")
    assert "was not accepted" in caplog.text


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
