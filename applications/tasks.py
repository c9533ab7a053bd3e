"""Work an applicant should not wait for, on Django's tasks API (the django-tasks backport on
5.2; `django.tasks` from 6.0).

The first rendering of a record's PDF costs about twenty times its HTML page (~90 ms of CPU,
make bench), so a worker renders it ahead and 导出 PDF reads the stored file (applications/pdf.py
keeps one per content) at the cost of a repeat. Ahead of what, though: 导出 PDF is a button of
the record page (配租记录 › 查看), so an applicant who opens that page is the one likely to ask
next, and has the seconds it takes to read it. Rendering after every registration and every
decision instead made each 确认登记 cost 95 ms of machine CPU instead of 7, for the many who never
print, in the very minutes the web workers need the cores (issue 20). So the record page asks,
once per state of the registration (its updated_at: a decision changes it); an export before the
worker is done renders it then, as without the setting."""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

try:
    from django.tasks import task
except ImportError:  # Django 5.2
    from django_tasks import task

from applications.models import Registration

# A registration state is asked for once in this long; asking again costs the task a look at
# the stored file (it renders nothing when the content has not changed).
ASKED_SECONDS = 24 * 3600


def render_record_ahead(registration: Registration) -> None:
    """The applicant opened the record: have a worker render its PDF, after the current
    transaction commits, unless it was asked for this state already."""
    if not settings.RECORD_PDF_AHEAD:
        return
    key = f"record-pdf-ahead:{registration.pk}:{registration.updated_at.timestamp()}"
    if cache.add(key, True, timeout=ASKED_SECONDS):
        transaction.on_commit(lambda: render_record_pdf.enqueue(registration.pk))


@task(queue_name="default")
def render_record_pdf(registration_id: int) -> bool:
    """Render and keep the record as 导出 PDF would; False when the registration is gone."""
    from applications import pdf  # WeasyPrint is loaded by the workers that render, not at import

    registration = (
        Registration.objects.select_related("plan", "offering__project", "info")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        return False
    pdf.record_pdf(registration)
    return True
