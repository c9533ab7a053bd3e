"""`manage.py check_documents`: every file the database names is in its storage.

After restoring a backup (README, "Backups"), moving the private volume or changing object
stores, a row may name a file that is not there: an applicant's document a reviewer can no
longer open, a photo, an announcement's PDF. This walks every FileField of every model (from
the app registry, so a new one is checked without editing this) and asks its storage whether
the file exists, printing each missing one; the exit status is 1 if any is missing.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]


class Command(BaseCommand):
    help = "Checks that every stored file (documents, photos, attachments) exists."

    def handle(self, *args: object, **options: object) -> None:
        checked = missing = 0
        for model, field in file_fields():
            label = f"{model._meta.label}.{field.name}"
            storage = field.storage
            names = (
                model._default_manager.exclude(**{field.name: ""})
                .exclude(**{f"{field.name}__isnull": True})
                .values_list("pk", field.name)
                .order_by("pk")
                .iterator(chunk_size=2000)
            )
            for pk, name in names:
                checked += 1
                if not storage.exists(name):
                    missing += 1
                    self.stdout.write(f"missing: {label} id={pk} {name}")
        if missing:
            raise CommandError(f"{missing} of {checked} stored files are missing.")
        self.stdout.write(f"All {checked} stored files exist.")
