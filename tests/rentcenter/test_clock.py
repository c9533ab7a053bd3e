"""The guard of `make test-clock`: `--clock` moves every clock the session reads."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone


def test_the_clock_option_moves_the_session_clock(request):
    instant = request.config.getoption("--clock")
    if not instant:
        pytest.skip("runs under make test-clock (--clock or TEST_CLOCK)")
    moved = datetime.fromisoformat(instant)
    # The whole session ticks from the moved instant; a run takes minutes, not hours.
    assert moved <= timezone.now() < moved + timedelta(hours=1)


def test_the_now_fixture_freezes_one_instant(now):
    assert timezone.now() == now
    assert timezone.localtime().utcoffset() == timedelta(hours=8)
