"""Every sample of tests/corpus posted as an announcement attachment in admin (配租公告 附件).

A sample the attachment endpoint accepts is stored rewritten as a PDF under a random .pdf
name; any other is refused beside the field with a sentence in Chinese, what was typed is
kept, and nothing stored before changes. Never a 500.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from plans.models import Announcement, AnnouncementAttachment
from tests.corpus import ATTACHMENT, SAMPLES, assert_sanitised, stored_files
from tests.factories import make_announcement, make_attachment, make_plan, make_staff
from tests.plans.test_admin import admin_url, announcement_form


@pytest.fixture
def staff_with_an_attachment(client, db):
    make_attachment(make_announcement(make_plan()), title="已有附件")
    client.force_login(make_staff(superuser=True))
    return client


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_every_sample_is_refused_cleanly_or_stored_sanitised(staff_with_an_attachment, sample):
    client, plan = staff_with_an_attachment, make_plan()
    upload = SimpleUploadedFile(sample.name, sample.content, content_type="application/pdf")
    data = announcement_form(client, plan, upload)
    files_before, rows_before = stored_files(), set(AnnouncementAttachment.objects.all())

    response = client.post(admin_url("announcement_add"), data)

    if ATTACHMENT in sample.accepted_by:
        assert response.status_code == 302
        attachment = AnnouncementAttachment.objects.get(announcement__plan=plan)
        assert attachment.file.name.endswith(".pdf")
        files_after = stored_files()
        assert files_before.items() <= files_after.items()
        new = files_after.keys() - files_before.keys()
        assert [Path(path).name for path in new] == [Path(attachment.file.name).name]
        assert_sanitised(Path(next(iter(new))))
    else:
        assert response.status_code == 200
        form = response.context["inline_admin_formsets"][0].formset.forms[0]
        (error,) = form.errors["file"]
        assert error.endswith("。")
        assert error in response.content.decode()
        assert 'value="关于第六批专项配租的公告"' in response.content.decode()
        assert not Announcement.objects.filter(plan=plan).exists()
        assert set(AnnouncementAttachment.objects.all()) == rows_before
        assert stored_files() == files_before
