"""The outbox's tasks, on Django's tasks API (django.tasks from Django 6.0; the django-tasks
backport on 5.2): the same code runs on the immediate, database and RQ backends."""

try:
    from django.tasks import task
except ImportError:  # Django 5.2
    from django_tasks import task

from messaging import outbox


@task(queue_name=outbox.DEFAULT_QUEUE)
def send_texts(message_ids: list[int]) -> None:
    """Send these outbox rows (each claimed first, so a task run twice sends once)."""
    outbox.send_now(message_ids)


@task(queue_name=outbox.DEFAULT_QUEUE)
def requeue_stranded_texts() -> int:
    """Enqueue again the pending texts whose task was lost; the workers run it every minute."""
    return outbox.requeue_stranded()
