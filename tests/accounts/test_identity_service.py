"""The http identity verifier (issue 17, finding 3): 实名认证 asks the operator's identity-check
service (公安部 comparison) through accounts.realname.HttpIdentityVerifier, with a timeout,
retries and a circuit breaker whose state is in the shared cache, tested against a fake
service started here (tests/identity_service.py). When the service is down the applicant reads
so in Chinese, keeps what they typed, and keeps the attempt."""

import time

import pytest
from django.urls import reverse

from accounts import realname
from accounts.realname import HttpIdentityVerifier, VerifierUnavailable, verify_real_name
from tests.factories import make_user
from tests.identity_service import running_service

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"
UNAVAILABLE = "实名认证服务暂时无法使用，请稍后再试"


@pytest.fixture
def service(settings):
    with running_service() as service:
        settings.IDENTITY_VERIFIER = "http"
        settings.IDENTITY_SERVICE_URL = service.url
        settings.IDENTITY_SERVICE_KEY = "k" * 32
        settings.IDENTITY_SERVICE_TIMEOUT = 0.3
        yield service


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    monkeypatch.setattr(realname, "RETRY_BACKOFF_SECONDS", 0.01)


def test_the_setting_names_the_http_verifier(service):
    assert isinstance(realname.get_verifier(), HttpIdentityVerifier)


def test_a_match_verifies_the_real_name(service):
    user = verify_real_name(user=make_user(), name="王小明", id_number="11010519491231002x")

    assert user.has_real_name
    request = service.received[-1]
    assert request["body"] == {"name": "王小明", "id_number": NUMBER}
    assert request["authorization"] == "Bearer " + "k" * 32
    assert request["content_type"] == "application/json; charset=utf-8"


def test_a_mismatch_is_refused(service):
    service.match = False
    user = make_user()

    with pytest.raises(realname.RealNameRefused, match="姓名与证件号码不一致"):
        verify_real_name(user=user, name="王小明", id_number=NUMBER)

    user.refresh_from_db()
    assert not user.has_real_name


def test_a_failed_answer_is_tried_again(service):
    service.failures = realname.RETRIES

    assert HttpIdentityVerifier().verify(name="王小明", id_number=NUMBER) is True
    assert service.requests == realname.RETRIES + 1


@pytest.mark.parametrize(
    "trouble",
    ["slow", "error", "garbage", "refused"],
)
def test_a_service_that_does_not_answer_is_unavailable_after_its_retries(service, trouble):
    if trouble == "slow":
        service.delay = 1.0
    elif trouble == "error":
        service.status = 500
    elif trouble == "garbage":
        service.body = b"<html>gateway</html>"
    else:
        service.status = 401  # a wrong key: no use trying again
    started = time.monotonic()

    with pytest.raises(VerifierUnavailable):
        HttpIdentityVerifier().verify(name="王小明", id_number=NUMBER)

    expected = 1 if trouble == "refused" else realname.RETRIES + 1
    assert service.requests == expected
    assert time.monotonic() - started < (realname.RETRIES + 1) * 0.3 + 1


def test_no_service_at_all_is_unavailable(settings):
    settings.IDENTITY_VERIFIER = "http"
    settings.IDENTITY_SERVICE_URL = "http://127.0.0.1:9/verify"  # discard: nothing listens
    settings.IDENTITY_SERVICE_KEY = "k" * 32
    with pytest.raises(VerifierUnavailable):
        HttpIdentityVerifier().verify(name="王小明", id_number=NUMBER)


def test_the_breaker_opens_after_failures_and_asks_nobody_meanwhile(service, time_machine):
    time_machine.move_to("2026-06-01 10:00:00 +08:00", tick=True)
    service.status = 503
    for _ in range(realname.BREAKER_FAILURES):
        with pytest.raises(VerifierUnavailable):
            HttpIdentityVerifier().verify(name="王小明", id_number=NUMBER)
    asked = service.requests
    service.status = 200

    with pytest.raises(VerifierUnavailable):
        HttpIdentityVerifier().verify(name="王小明", id_number=NUMBER)  # another instance
    assert service.requests == asked  # open: nobody was asked

    time_machine.move_to("2026-06-01 10:00:00 +08:00", tick=True)
    time_machine.shift(realname.BREAKER_OPEN_SECONDS + 1)
    assert HttpIdentityVerifier().verify(name="王小明", id_number=NUMBER) is True
    assert service.requests == asked + 1  # one probe, and it closed the breaker
    assert HttpIdentityVerifier().verify(name="王小明", id_number=NUMBER) is True


def test_the_breakers_state_is_in_the_shared_cache(service):
    from django.core.cache import cache

    service.status = 503
    for _ in range(realname.BREAKER_FAILURES):
        with pytest.raises(VerifierUnavailable):
            HttpIdentityVerifier().verify(name="王小明", id_number=NUMBER)

    assert cache.get(realname.BREAKER_OPEN_KEY) is not None


def test_the_applicant_reads_that_the_service_is_down_and_keeps_what_they_typed(client, service):
    service.status = 503
    user = make_user()
    client.force_login(user)

    response = client.post(
        reverse("accounts:verify_real_name"), {"real_name": "王小明", "id_number": NUMBER}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert UNAVAILABLE in page
    assert 'value="王小明"' in page
    assert f'value="{NUMBER}"' in page
    user.refresh_from_db()
    assert not user.has_real_name


def test_a_service_down_does_not_use_up_the_days_attempts(service):
    service.status = 503
    user = make_user()
    for _ in range(realname.ATTEMPTS_PER_DAY + 2):
        with pytest.raises(realname.RealNameRefused, match=UNAVAILABLE):
            verify_real_name(user=user, name="王小明", id_number=NUMBER)
    service.status = 200
    from django.core.cache import cache

    cache.delete(realname.BREAKER_OPEN_KEY)
    assert verify_real_name(user=user, name="王小明", id_number=NUMBER).has_real_name
