"""Text messages (短信): login codes now, registration and review notices later.

Like Django's email backends, the way a message leaves is chosen by a setting (SMS_BACKEND):

- console: printed to standard output (the default for `make run`);
- file: one JSON line per message, {"phone", "text", "sent_at"}, appended to SMS_FILE_PATH;
- locmem: kept in `outbox` (tests, and browser tests whose live server shares the process);
- http: posted as JSON to the provider's gateway at SMS_GATEWAY_URL with SMS_GATEWAY_KEY.

Nothing here is called inside a request: every text is first a row of the SMS outbox
(messaging/outbox.py), written with the change that causes it, and a background task calls
`send` after commit, retrying when it raises SmsError. This module imports no app.
"""

import http.client
import json
import logging
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

# Messages sent with the locmem backend, oldest first.
outbox: list["SmsMessage"] = []


class SmsError(Exception):
    """The gateway did not accept a message (an error answer, a timeout, no connection): the
    outbox tries again later."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str  # E.164, +8613800138000
    text: str
    sent_at: datetime = field(default_factory=timezone.now)

    def as_json(self) -> str:
        return json.dumps({**asdict(self), "sent_at": self.sent_at.isoformat()}, ensure_ascii=False)


# Each backend's send() returns the gateway's id for the message ("" when there is none).


class ConsoleBackend:
    def send(self, message: SmsMessage) -> str:
        sys.stdout.write(f"[SMS to {message.phone}] {message.text}\n")
        sys.stdout.flush()
        return ""


class FileBackend:
    def send(self, message: SmsMessage) -> str:
        path = settings.SMS_FILE_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        # One write of one line in append mode: lines of concurrent workers do not interleave.
        with path.open("a", encoding="utf-8") as file:
            file.write(message.as_json() + "\n")
        return ""


class LocmemBackend:
    def send(self, message: SmsMessage) -> str:
        outbox.append(message)
        return f"locmem-{len(outbox)}"


class HttpBackend:
    """POST {"phone": ..., "text": ...} with `Authorization: Bearer <SMS_GATEWAY_KEY>`; any 2xx
    answer means the gateway took the message, and its JSON body's "message_id", if any, is
    kept on the outbox row. The gateway adds the registered signature. An answer that takes
    longer than settings.SMS_GATEWAY_TIMEOUT seconds counts as a failure, to be retried."""

    def send(self, message: SmsMessage) -> str:
        body = json.dumps({"phone": message.phone, "text": message.text}, ensure_ascii=False)
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
            settings.SMS_GATEWAY_URL,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_KEY}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as response:  # noqa: S310
                status = response.status
                answer = response.read(4096)
        except urllib.error.HTTPError as error:
            raise SmsError(f"gateway answered {error.code}") from error
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            # OSError covers TimeoutError and a connection reset mid-answer.
            raise SmsError(f"gateway unreachable: {error}") from error
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")
        return gateway_message_id(answer)


def gateway_message_id(answer: bytes) -> str:
    try:
        data = json.loads(answer)
    except ValueError:
        return ""
    value = data.get("message_id", "") if isinstance(data, dict) else ""
    return str(value)[:100]


BACKENDS = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "locmem": LocmemBackend,
    "http": HttpBackend,
}


def get_backend() -> ConsoleBackend | FileBackend | LocmemBackend | HttpBackend:
    return BACKENDS[settings.SMS_BACKEND]()


def send(*, phone: str, text: str) -> str:
    """Hand one text to the configured backend now; the gateway's message id, or SmsError.
    Called by the outbox's task (messaging/outbox.py), never inside a request."""
    return get_backend().send(SmsMessage(phone=phone, text=text))


def recent_messages(limit: int = 50) -> list[SmsMessage] | None:
    """The last messages, newest first, for /dev/sms/; None when the backend keeps no record."""
    if settings.SMS_BACKEND == "locmem":
        return list(reversed(outbox[-limit:]))
    if settings.SMS_BACKEND != "file":
        return None
    try:
        lines = settings.SMS_FILE_PATH.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    messages = []
    for line in reversed(lines[-limit:]):
        data = json.loads(line)
        sent_at = datetime.fromisoformat(data["sent_at"])
        messages.append(SmsMessage(phone=data["phone"], text=data["text"], sent_at=sent_at))
    return messages
