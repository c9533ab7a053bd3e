"""Text messages (短信): login codes now, registration and review notices later.

Like Django's email backends, the way a message leaves is chosen by a setting (SMS_BACKEND):

- console: printed to standard output (the default for `make run`);
- file: one JSON line per message, {"phone", "text", "sent_at"}, appended to SMS_FILE_PATH;
- locmem: kept in `outbox` (tests, and browser tests whose live server shares the process);
- http: posted as JSON to the provider's gateway at SMS_GATEWAY_URL with SMS_GATEWAY_KEY.

`send_sms` hands the message over only once the surrounding transaction commits, so a rolled
back change never texts anyone, and a code is in the database before its text can arrive.
"""

import json
import logging
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# Messages sent with the locmem backend, oldest first.
outbox: list["SmsMessage"] = []

GATEWAY_TIMEOUT_SECONDS = 5


class SmsError(Exception):
    """The gateway did not accept a message."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str  # E.164, +8613800138000
    text: str
    sent_at: datetime = field(default_factory=timezone.now)

    def as_json(self) -> str:
        return json.dumps({**asdict(self), "sent_at": self.sent_at.isoformat()}, ensure_ascii=False)


class ConsoleBackend:
    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"[SMS to {message.phone}] {message.text}\n")
        sys.stdout.flush()


class FileBackend:
    def send(self, message: SmsMessage) -> None:
        path = settings.SMS_FILE_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        # One write of one line in append mode: lines of concurrent workers do not interleave.
        with path.open("a", encoding="utf-8") as file:
            file.write(message.as_json() + "\n")


class LocmemBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class HttpBackend:
    """POST {"phone": ..., "text": ...} with `Authorization: Bearer <SMS_GATEWAY_KEY>`; any 2xx
    answer means the gateway took the message. The gateway adds the registered signature."""

    def send(self, message: SmsMessage) -> None:
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
            with urllib.request.urlopen(request, timeout=GATEWAY_TIMEOUT_SECONDS) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            raise SmsError(f"gateway answered {error.code}") from error
        except (urllib.error.URLError, TimeoutError) as error:
            raise SmsError(f"gateway unreachable: {error}") from error
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")


BACKENDS = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "locmem": LocmemBackend,
    "http": HttpBackend,
}


def get_backend() -> ConsoleBackend | FileBackend | LocmemBackend | HttpBackend:
    return BACKENDS[settings.SMS_BACKEND]()


def send_sms(*, phone: str, text: str) -> None:
    """Send `text` to `phone` (E.164) once the current transaction commits (now if none)."""
    message = SmsMessage(phone=phone, text=text)
    transaction.on_commit(lambda: deliver(message))


def deliver(message: SmsMessage) -> None:
    # The database work is done by now; a gateway failure is logged, not shown as a server
    # error. The applicant can ask for another code when the countdown ends.
    try:
        get_backend().send(message)
    except SmsError:
        logger.exception("SMS to %s was not accepted", message.phone)


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
