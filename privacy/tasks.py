"""The privacy room's background work, on Django's tasks API (as messaging/tasks.py)."""

try:
    from django.tasks import task
except ImportError:  # Django 5.2
    from django_tasks import task

from privacy.models import DataExport


@task(queue_name="default")
def build_data_export(export_id: int) -> str:
    """Build one 我的个人信息 ZIP; its status afterwards."""
    from privacy import export

    pending = DataExport.objects.filter(pk=export_id, status=DataExport.Status.PENDING).first()
    if pending is None:  # built already (a task run twice), or gone
        return "skipped"
    return export.build(pending).status


@task(queue_name="default")
def purge_expired_daily() -> dict[str, int]:
    """`manage.py purge_expired --commit`, as the workers run it once a day
    (privacy/apps.py registers it with messaging/schedule.py)."""
    from privacy import retention

    return retention.purge().counts
