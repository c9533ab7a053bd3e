"""What the workers start by themselves (messaging/schedule.py): the rooms' periodic tasks every
sweep, and the retention purge once a Beijing day, from RETENTION_PURGE_HOUR on."""

from datetime import timedelta

import pytest
import time_machine

from allocation import tasks as allocation_tasks
from messaging import schedule
from privacy import tasks as privacy_tasks
from privacy.models import PurgeRun
from tests.clock import beijing

pytestmark = pytest.mark.django_db

PURGE = privacy_tasks.purge_expired_daily.name


def test_the_rooms_register_their_tasks_when_ready():
    assert allocation_tasks.settle_sessions in schedule.sweeps()
    assert [entry.task for entry in schedule._daily] == [privacy_tasks.purge_expired_daily]


def test_the_purge_runs_once_a_day_from_its_hour(settings):
    assert settings.RETENTION_PURGE == "worker"  # the default
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


@pytest.mark.parametrize("purge", ["cron", "off"])
def test_nothing_is_started_when_the_purge_is_not_the_workers(settings, purge):
    settings.RETENTION_PURGE = purge
    with time_machine.travel(beijing(2027, 1, 1, 12), tick=False):
        assert schedule.enqueue_daily() == []
    assert not PurgeRun.objects.exists()


class Unqueueable:
    name = "tests.unqueueable"

    def enqueue(self):
        raise ConnectionError("the queue is down")


def test_a_task_that_cannot_be_enqueued_is_tried_no_more_that_day(monkeypatch, caplog):
    monkeypatch.setattr(schedule, "_daily", [schedule.Daily(Unqueueable(), lambda: 0)])
    with time_machine.travel(beijing(2027, 1, 1, 12), tick=False):
        assert schedule.enqueue_daily() == []
        assert schedule.enqueue_daily() == []
    assert caplog.text.count("could not be enqueued") == 1


class Failing:
    name = "tests.failing"

    def call(self):
        raise RuntimeError("broken")


def test_a_failing_sweep_does_not_stop_the_others(monkeypatch, caplog):
    ran = []

    class Fine:
        name = "tests.fine"

        def call(self):
            ran.append(self.name)

    monkeypatch.setattr(schedule, "_every_sweep", [Failing(), Fine()])
    schedule.run_sweeps()
    assert ran == ["tests.fine"]
    assert "The periodic task tests.failing failed" in caplog.text
