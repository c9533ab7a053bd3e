"""The workers' sweep of 选房 queues (allocation/turns.py): every OUTBOX_SWEEP_SECONDS each task
worker records the turns that ran out (逾期未选), the entrants passed over and the reminders
due, with their texts. Pages do not wait for it: they derive the running turn themselves."""

try:
    from django.tasks import task
except ImportError:  # Django 5.2
    from django_tasks import task

from allocation import turns
from messaging.outbox import DEFAULT_QUEUE


@task(queue_name=DEFAULT_QUEUE)
def settle_sessions() -> int:
    return turns.settle_due()
