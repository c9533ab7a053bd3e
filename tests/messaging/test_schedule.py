"""The day's tasks (messaging/schedule.py): the loop that sweeps the outbox every minute starts
the retention purge once a Beijing day, from RETENTION_PURGE_HOUR on."""

from datetime import timedelta

import pytest
import time_machine

from messaging import schedule
from privacy.models import PurgeRun
from tests.clock import beijing

pytestmark = pytest.mark.django_db

PURGE = "privacy.tasks.purge_expired_daily"


def test_the_purge_runs_once_a_day_from_its_hour(settings):
    assert settings.DAILY_TASKS == [PURGE]  # RETENTION_PURGE=worker, the default
    settings.RETENTION_PURGE_HOUR = 3
    with time_machine.travel(beijing(2027, 1, 1, 2, 59), tick=False) as clock:
        assert schedule.enqueue_daily() == []
        clock.move_to(beijing(2027, 1, 1, 3, 0))
        assert schedule.enqueue_daily() == [PURGE]
        assert PurgeRun.objects.count() == 1  # the immediate backend ran it
        clock.shift(timedelta(hours=20))  # 23:00, the same Beijing day
        assert schedule.enqueue_daily() == []
        clock.move_to(beijing(2027, 1, 2, 0, 30))  # the next day, before the hour
        assert schedule.enqueue_daily() == []
        clock.move_to(beijing(2027, 1, 2, 3, 1))
        assert schedule.enqueue_daily() == [PURGE]
    assert PurgeRun.objects.count() == 2


def test_nothing_is_started_when_the_purge_is_left_to_cron(settings):
    settings.DAILY_TASKS = []
    with time_machine.travel(beijing(2027, 1, 1, 12), tick=False):
        assert schedule.enqueue_daily() == []
    assert not PurgeRun.objects.exists()


def test_a_task_that_cannot_be_enqueued_is_tried_no_more_that_day(settings, caplog):
    settings.DAILY_TASKS = ["privacy.tasks.no_such_task"]
    with time_machine.travel(beijing(2027, 1, 1, 12), tick=False):
        assert schedule.enqueue_daily() == []
    assert "could not be enqueued" in caplog.text
