"""What applications adds to /metrics (rentcenter/metrics.py): registrations created, counted
once the registration is committed. A counter costs a few nanoseconds in the process; the
scrape adds up the workers."""

from django.db import transaction
from django.db.models.signals import post_save

from applications.models import Registration
from rentcenter.metrics import registrations_created


def count_registration(sender: type, instance: Registration, created: bool, **kwargs) -> None:
    if created:
        transaction.on_commit(registrations_created.inc)


def connect() -> None:
    post_save.connect(count_registration, sender=Registration, dispatch_uid="metrics")
