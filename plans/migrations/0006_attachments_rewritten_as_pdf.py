"""Attachments stored before issue #10 are rewritten as new ones are.

They kept the uploaded bytes under the uploaded extension (an HTML page beginning with %PDF- was
stored as .html and served as a page). Each is now rewritten by rentcenter.pdfs and stored under
a random .pdf name, as plans/admin.py stores new ones, and its size updated. One that is no PDF
at all leaves /media/: it is kept in private storage under quarantine/ for whoever wants to see
what it was, and its row is removed, so the announcement no longer links it.

Not atomic: each attachment is done on its own, the new file written and the row pointed at it
before the old file is removed, so an interrupted run leaves at worst an unused file.
"""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import migrations


def rewrite_attachments(apps, schema_editor):
    from rentcenter import pdfs
    from rentcenter.storage import private_storage

    Attachment = apps.get_model("plans", "AnnouncementAttachment")
    for attachment in Attachment.objects.order_by("pk"):
        storage, old_name = attachment.file.storage, attachment.file.name
        if not old_name or not storage.exists(old_name):
            continue
        with storage.open(old_name, "rb") as file:
            content = file.read()
        try:
            cleaned = pdfs.clean(content)
        except ValidationError:
            private_storage().save(f"quarantine/{old_name}", ContentFile(content))
            attachment.delete()
        else:
            attachment.file.save("attachment.pdf", ContentFile(cleaned), save=False)
            attachment.size = len(cleaned)
            attachment.save(update_fields=["file", "size"])
        storage.delete(old_name)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("plans", "0005_registered_count_from_rows"),
    ]

    operations = [
        migrations.RunPython(rewrite_attachments, migrations.RunPython.noop, elidable=True),
    ]
