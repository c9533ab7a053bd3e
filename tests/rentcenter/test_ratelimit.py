import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connections
from django.test import RequestFactory

from rentcenter.ratelimit import client_ip, hit, hit_all

START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_allows_up_to_the_limit_then_refuses(clock):
    results = [hit("k", limit=3, window=60) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert [r.count for r in results[:3]] == [1, 2, 3]


def test_one_per_minute_refuses_at_59_seconds_and_allows_at_60(clock):
    assert hit("k", limit=1, window=60).allowed
    clock.shift(59)
    refused = hit("k", limit=1, window=60)
    assert not refused.allowed
    assert refused.retry_at == START + timedelta(seconds=60)
    assert refused.retry_after == 1
    clock.shift(1)
    assert hit("k", limit=1, window=60).allowed


def test_the_window_slides(clock):
    # Five hits spread over the hour: the sixth waits until the first leaves the window.
    for _ in range(5):
        assert hit("k", limit=5, window=3600).allowed
        clock.shift(600)
    # Now 50 minutes in; the first hit (at 0:00) leaves at 1:00.
    refused = hit("k", limit=5, window=3600)
    assert not refused.allowed
    assert refused.retry_at == START + timedelta(hours=1)
    clock.move_to(START + timedelta(minutes=59, seconds=59))
    assert not hit("k", limit=5, window=3600).allowed
    clock.move_to(START + timedelta(hours=1))
    assert hit("k", limit=5, window=3600).allowed
    assert not hit("k", limit=5, window=3600).allowed


def test_refused_attempts_do_not_prolong_the_wait(clock):
    assert hit("k", limit=1, window=60).allowed
    for _ in range(30):
        clock.shift(1)
        assert not hit("k", limit=1, window=60).allowed
    clock.move_to(START + timedelta(seconds=60))
    assert hit("k", limit=1, window=60).allowed


def test_keys_and_windows_are_counted_apart(clock):
    assert hit("a", limit=1, window=60).allowed
    assert hit("b", limit=1, window=60).allowed
    assert hit("a", limit=1, window=3600).allowed


def test_a_hit_counts_one_made_just_after_its_own_reading_of_the_clock(clock):
    """Two requests at a slot boundary: the second read the clock a moment before the first,
    but counts after it. It must see the first's hit in the next slot."""
    clock.move_to(START + timedelta(seconds=1))
    assert hit("k", limit=1, window=60).allowed
    clock.move_to(START + timedelta(seconds=0.999))
    assert not hit("k", limit=1, window=60).allowed


def test_simultaneous_hits_never_exceed_the_limit():
    allowed = []

    def attempt():
        try:
            allowed.append(hit("busy", limit=5, window=60).allowed)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5


def test_client_ip_is_remote_addr_by_default():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.1"


def test_client_ip_behind_the_proxy_is_the_address_it_appended(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    assert client_ip(request) == "203.0.113.7"


def test_hit_all_takes_back_the_hits_of_a_refused_attempt(clock):
    rules = [("phone", 1, 60), ("address", 1, 60)]
    assert hit("address", limit=1, window=60).allowed
    refused = hit_all(rules)
    assert not refused.allowed
    # The phone's hit was taken back: it can still be used from elsewhere.
    assert hit("phone", limit=1, window=60).allowed


def test_hit_all_allows_when_every_rule_allows(clock):
    assert hit_all([("a", 1, 60), ("b", 2, 3600)]).allowed
    assert not hit_all([("a", 1, 60), ("b", 2, 3600)]).allowed
