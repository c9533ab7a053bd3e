import pytest

from tests.accounts.conftest import captcha_test_mode, client, new_client  # noqa: F401


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    from rentcenter import sms

    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield
    sms.outbox.clear()
