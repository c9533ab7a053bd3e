"""plans/migrations/0006: attachments stored before issue #10 are rewritten as new ones are."""

import importlib

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from plans.models import AnnouncementAttachment
from rentcenter.storage import private_storage
from tests.corpus import pdfs as crafted
from tests.factories import make_announcement, make_plan

pytestmark = pytest.mark.django_db

migration = importlib.import_module("plans.migrations.0006_attachments_rewritten_as_pdf")

HTML_PAGE = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n"


def legacy_attachment(name: str, content: bytes) -> AnnouncementAttachment:
    """A row as the old admin stored it: the uploaded bytes under the uploaded extension."""
    stored = default_storage.save(f"announcements/{name}", ContentFile(content))
    return AnnouncementAttachment.objects.create(
        announcement=make_announcement(make_plan()), title="申请表", file=stored, size=len(content)
    )


def migrate() -> None:
    migration.rewrite_attachments(apps, None)


def test_a_pdf_stored_as_html_is_rewritten_under_a_pdf_name():
    attachment = legacy_attachment("form.html", crafted.active("OpenAction JavaScript"))
    old_name = attachment.file.name

    migrate()

    attachment.refresh_from_db()
    assert attachment.file.name.startswith("announcements/")
    assert attachment.file.name.endswith(".pdf")
    with attachment.file.open("rb") as file:
        kept = file.read()
    crafted.assert_inert(kept)
    assert attachment.size == len(kept)
    assert not default_storage.exists(old_name)


def test_an_honest_pdf_keeps_working_under_a_new_pdf_name():
    attachment = legacy_attachment("notice.pdf", crafted.honest(pages=2))
    old_name = attachment.file.name

    migrate()

    attachment.refresh_from_db()
    assert attachment.file.name != old_name
    assert attachment.file.name.endswith(".pdf")
    with attachment.file.open("rb") as file:
        assert file.read().startswith(b"%PDF-")
    assert not default_storage.exists(old_name)


def test_what_is_no_pdf_leaves_the_public_folder_for_quarantine():
    attachment = legacy_attachment("form.html", HTML_PAGE)
    old_name = attachment.file.name

    migrate()

    assert not AnnouncementAttachment.objects.filter(pk=attachment.pk).exists()
    assert not default_storage.exists(old_name)
    with private_storage().open(f"quarantine/{old_name}", "rb") as file:
        assert file.read() == HTML_PAGE


def test_a_row_whose_file_is_missing_is_left_as_it_is():
    attachment = AnnouncementAttachment.objects.create(
        announcement=make_announcement(make_plan()),
        title="申请表",
        file="announcements/gone.pdf",
        size=10,
    )

    migrate()

    attachment.refresh_from_db()
    assert attachment.file.name == "announcements/gone.pdf"
