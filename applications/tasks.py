"""Work an applicant should not wait for, on Django's tasks API (the django-tasks backport on
5.2; `django.tasks` from 6.0).

导出 PDF right after 登记成功 is what applicants do, and the first rendering of a record costs
about twenty times its HTML page. So every change to what a record prints (a registration, a
reviewer's decision) asks a worker to render it ahead: the export then reads the stored file
(applications/pdf.py keeps one per content) at the cost of a repeat."""

from django.conf import settings
from django.db import transaction

try:
    from django.tasks import task
except ImportError:  # Django 5.2
    from django_tasks import task

from applications.models import Registration


def render_record_ahead(registration: Registration) -> None:
    """After the current transaction commits, have a worker render this record's PDF."""
    if settings.RECORD_PDF_AHEAD:
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
