import re
from unittest import mock

import pytest
from django.test import Client

from accounts import captcha
from rentcenter import sms


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    """Account tests read the texts they cause from rentcenter.sms.outbox."""
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def new_client(django_capture_on_commit_callbacks):
    """Makes test clients whose every request commits, as requests do on the real site: the
    on_commit work of a view (its text messages) is done when the response comes back."""

    class CommittingClient(Client):
        def request(self, **request):
            with django_capture_on_commit_callbacks(execute=True):
                return super().request(**request)

    return CommittingClient


@pytest.fixture
def client(new_client) -> Client:
    return new_client()


@pytest.fixture
def captcha_test_mode(settings):
    settings.CAPTCHA_TEST_MODE = True


def texts_to(phone: str) -> list[str]:
    return [message.text for message in sms.outbox if message.phone == phone]


def last_code(phone: str = "+8613800138000") -> str:
    """The code in the last text sent to `phone` (E.164)."""
    texts = texts_to(phone)
    assert texts, f"no text was sent to {phone}"
    return re.search(r"\d{6}", texts[-1]).group()


def send_code(
    client: Client,
    url: str = "/accounts/login/send-code/",
    phone: str = "13800138000",
    headers: dict[str, str] | None = None,
    **data: str,
):
    """发送验证短信 with the test-mode captcha answer (needs captcha_test_mode)."""
    return client.post(url, {"phone": phone, "captcha": "PASSED", **data}, headers=headers)


def page_without_tokens(response) -> str:
    """The body with what differs on every request (CSRF token, captcha address) blanked."""
    page = response.content.decode()
    page = re.sub(r'(csrfmiddlewaretoken" value=")[^"]+', r"\1", page)
    page = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", page)
    page = re.sub(r'(name="captcha_challenge" value=")[^"]+', r"\1", page)
    return re.sub(r"captcha\.png\?c=[\w-]+", "captcha.png", page)


def solve_captcha(client: Client, page: str) -> dict[str, str]:
    """What a person types after reading the image of `page`'s form: its challenge id and the
    digits that loading the image (through `client`, as a browser would) put in it."""
    challenge = re.search(r'name="captcha_challenge" value="([^"]+)"', page).group(1)
    with mock.patch.object(captcha, "draw", wraps=captcha.draw) as draw:
        response = client.get(f"/accounts/captcha.png?c={challenge}")
    assert response.status_code == 200
    return {"captcha_challenge": challenge, "captcha": draw.call_args.args[0]}
