"""`check --deploy` warns when nothing deletes expired personal data.

Without the daily purge the periods the 个人信息处理规则 states are promises nobody keeps. The
task workers run it when RETENTION_PURGE=worker (the default) and the tasks go to a worker
(database or rq); an operator's cron runs it with RETENTION_PURGE=cron (deploy/cron.d). With
`--database default` the check also reads when it last ran.
"""

from datetime import timedelta

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError
from django.utils import timezone

# A daily purge that has not finished for this long is not running.
OVERDUE = timedelta(hours=50)


@register(Tags.security, deploy=True)
def purge_is_scheduled(app_configs, **kwargs) -> list[Warning]:
    if settings.RETENTION_PURGE == "off":
        return [
            Warning(
                "Nothing runs `manage.py purge_expired --commit`: expired personal data is "
                "never deleted, contrary to the retention periods the 个人信息处理规则 states.",
                hint="Set RETENTION_PURGE=worker (the task workers run it daily) or "
                "RETENTION_PURGE=cron with the entry of deploy/cron.d/rentcenter.",
                id="privacy.W001",
            )
        ]
    if settings.RETENTION_PURGE == "worker" and settings.TASKS_BACKEND == "immediate":
        return [
            Warning(
                "RETENTION_PURGE=worker needs a task worker (TASKS_BACKEND database or rq).",
                id="privacy.W001",
            )
        ]
    return []


@register(Tags.database, deploy=True)
def purge_has_run(app_configs, databases=None, **kwargs) -> list[Warning]:
    if not databases:
        return []
    from privacy.models import PurgeRun

    try:
        last = PurgeRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
    except DatabaseError:
        return []  # not migrated yet: the first purge comes after
    if last is None or timezone.now() - last.finished_at > OVERDUE:
        when = "never" if last is None else timezone.localtime(last.finished_at).isoformat()
        return [
            Warning(
                f"`manage.py purge_expired --commit` has not finished in the last "
                f"{OVERDUE.total_seconds() / 3600:.0f} hours (last: {when}).",
                hint="Check that a worker runs (RETENTION_PURGE=worker) or that the cron entry "
                "of deploy/cron.d/rentcenter is installed.",
                id="privacy.W002",
            )
        ]
    return []
