"""manage.py check_documents: every file the database names is in its storage."""

import io

import pytest
from django.core.management import CommandError, call_command

from rentcenter.management.commands.check_documents import file_fields
from tests.factories import (
    make_announcement,
    make_attachment,
    make_document,
    make_plan,
    make_project,
    make_project_photo,
    make_user,
)

pytestmark = pytest.mark.django_db


def check() -> str:
    output = io.StringIO()
    call_command("check_documents", stdout=output)
    return output.getvalue()


@pytest.fixture
def stored():
    """An applicant's document, a project photo (original, large, thumbnail) and a PDF."""
    document = make_document(make_user())
    photo = make_project_photo(make_project())
    attachment = make_attachment(make_announcement(make_plan()))
    return document, photo, attachment


def test_every_kind_of_stored_file_is_checked():
    labels = {f"{model._meta.label}.{field.name}" for model, field in file_fields()}
    assert {
        "applications.Document.file",
        "applications.Document.thumbnail",
        "projects.ProjectPhoto.original",
        "projects.ProjectPhoto.large",
        "projects.ProjectPhoto.thumbnail",
        "plans.AnnouncementAttachment.file",
    } <= labels


def test_all_present_says_how_many(stored):
    document, _photo, _attachment = stored
    files = 1 + bool(document.thumbnail) + 3 + 1
    assert check() == f"All {files} stored files exist.\n"


def test_nothing_stored_is_nothing_missing():
    assert check() == "All 0 stored files exist.\n"


def test_names_each_missing_file_and_fails(stored):
    document, photo, attachment = stored
    document.file.storage.delete(document.file.name)
    attachment.file.storage.delete(attachment.file.name)
    output = io.StringIO()
    with pytest.raises(CommandError, match=r"2 of \d+ stored files are missing"):
        call_command("check_documents", stdout=output)
    lines = output.getvalue().splitlines()
    assert sorted(lines) == sorted(
        [
            f"missing: applications.Document.file id={document.pk} {document.file.name}",
            f"missing: plans.AnnouncementAttachment.file id={attachment.pk} {attachment.file.name}",
        ]
    )
    assert photo.original.name not in output.getvalue()


def test_the_exit_status_is_1_when_a_file_is_missing(stored):
    _document, photo, _attachment = stored
    photo.large.storage.delete(photo.large.name)
    with pytest.raises(SystemExit) as exit_status:
        call_command_from_argv()
    assert exit_status.value.code == 1


def call_command_from_argv() -> None:
    from django.core.management import ManagementUtility

    ManagementUtility(["manage.py", "check_documents"]).execute()
