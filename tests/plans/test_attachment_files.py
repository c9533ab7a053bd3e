"""A deleted or replaced announcement attachment leaves /media/ (issue 17, finding 7: it stayed
public at its old address). The file goes once the change is committed, never before: a change
that rolls back keeps the file its row still names."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from plans.models import AnnouncementAttachment
from tests.corpus import pdfs as crafted
from tests.factories import form_data, make_announcement, make_attachment, make_plan, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(make_staff(superuser=True))
    return client


def change_url(announcement) -> str:
    return reverse("admin:plans_announcement_change", args=[announcement.pk])


def test_deleting_an_attachment_in_admin_removes_its_file_after_commit(
    staff, django_capture_on_commit_callbacks
):
    announcement = make_announcement(make_plan())
    name = make_attachment(announcement).file.name
    html = staff.get(change_url(announcement)).content.decode()
    data = form_data(html, "announcement_form", **{"attachments-0-DELETE": "on"})

    with django_capture_on_commit_callbacks() as callbacks:
        assert staff.post(change_url(announcement), data).status_code == 302
        assert default_storage.exists(name)  # not before the commit
    for callback in callbacks:
        callback()

    assert not AnnouncementAttachment.objects.exists()
    assert not default_storage.exists(name)
    assert staff.get(f"/media/{name}").status_code == 404


def test_replacing_an_attachment_in_admin_removes_the_old_file(
    staff, django_capture_on_commit_callbacks
):
    announcement = make_announcement(make_plan())
    attachment = make_attachment(announcement)
    old = attachment.file.name
    html = staff.get(change_url(announcement)).content.decode()
    upload = SimpleUploadedFile("新版.pdf", crafted.honest(pages=2), content_type="application/pdf")
    data = form_data(html, "announcement_form", **{"attachments-0-file": upload})

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(change_url(announcement), data).status_code == 302

    attachment.refresh_from_db()
    assert attachment.file.name != old
    assert default_storage.exists(attachment.file.name)
    assert not default_storage.exists(old)


def test_a_form_refused_keeps_the_file(staff, django_capture_on_commit_callbacks):
    announcement = make_announcement(make_plan())
    attachment = make_attachment(announcement)
    html = staff.get(change_url(announcement)).content.decode()
    upload = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    data = form_data(html, "announcement_form", **{"attachments-0-file": upload, "title": ""})

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(change_url(announcement), data).status_code == 200

    assert default_storage.exists(attachment.file.name)


def test_deleting_the_announcement_removes_its_attachments_files(
    django_capture_on_commit_callbacks,
):
    announcement = make_announcement(make_plan())
    names = [make_attachment(announcement).file.name for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        announcement.delete()

    assert not any(default_storage.exists(name) for name in names)


def delete_then_fail(attachment: AnnouncementAttachment) -> None:
    with transaction.atomic():
        attachment.delete()
        raise RuntimeError("rolled back")


def test_a_deletion_that_rolls_back_keeps_the_file(django_capture_on_commit_callbacks):
    attachment = make_attachment(make_announcement(make_plan()))

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        delete_then_fail(attachment)

    assert callbacks == []
    assert default_storage.exists(attachment.file.name)


def test_saving_an_attachment_unchanged_keeps_its_file(django_capture_on_commit_callbacks):
    attachment = make_attachment(make_announcement(make_plan()))

    with django_capture_on_commit_callbacks(execute=True):
        attachment.title = "盖章版"
        attachment.save()

    assert default_storage.exists(attachment.file.name)


def test_a_file_another_row_still_names_is_kept(django_capture_on_commit_callbacks):
    announcement = make_announcement(make_plan())
    first = make_attachment(announcement)
    second = AnnouncementAttachment.objects.create(
        announcement=announcement, title="副本", file=first.file.name
    )

    with django_capture_on_commit_callbacks(execute=True):
        second.file = ContentFile(crafted.honest(), name="other.pdf")
        second.save()
        second.delete()

    assert default_storage.exists(first.file.name)
