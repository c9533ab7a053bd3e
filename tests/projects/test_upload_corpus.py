"""Every sample of tests/corpus posted as a project photo (实景照片) and as a floor plan's
layout (户型图) in admin.

A sample the photo endpoints accept is kept as sent in private storage, under the extension of
its format, and shown only as re-encoded renditions; any other is refused beside the field with
a sentence in Chinese, and nothing stored before changes. Never a 500.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import FloorPlan, ProjectPhoto
from tests.corpus import PHOTO, SAMPLES, Sample, assert_sanitised, stored_files
from tests.factories import form_data, make_project, make_project_photo, make_staff
from tests.projects.test_admin import admin_url, project_form


@pytest.fixture
def staff_with_a_photo(client, db):
    make_project_photo(make_project())
    client.force_login(make_staff(superuser=True))
    return client


def sent(sample: Sample) -> SimpleUploadedFile:
    return SimpleUploadedFile(sample.name, sample.content, content_type="image/jpeg")


def post_project_photo(client, sample: Sample):
    data = project_form(
        client,
        **{
            "photos-TOTAL_FORMS": "1",
            "photos-0-original": sent(sample),
            "photos-0-caption": "小区正门",
            "photos-0-position": "0",
        },
    )
    response = client.post(admin_url("project_add"), data)
    errors = []
    if response.status_code == 200:
        photos = next(
            formset
            for formset in response.context["inline_admin_formsets"]
            if formset.formset.prefix == "photos"
        )
        errors = photos.formset.forms[0].errors.get("original", [])
    return response, errors


def post_floor_plan(client, sample: Sample):
    html = client.get(admin_url("floorplan_add")).content.decode()
    data = form_data(
        html,
        "floorplan_form",
        project=str(make_project().pk),
        name="一居室A",
        area="39.00",
        bedrooms="1",
        original=sent(sample),
    )
    response = client.post(admin_url("floorplan_add"), data)
    errors = []
    if response.status_code == 200:
        errors = response.context["adminform"].form.errors.get("original", [])
    return response, errors


@pytest.mark.parametrize(
    "post", [post_project_photo, post_floor_plan], ids=["project photo", "floor plan"]
)
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_every_sample_is_refused_cleanly_or_stored_sanitised(staff_with_a_photo, post, sample):
    files_before = stored_files()
    rows_before = ProjectPhoto.objects.count() + FloorPlan.objects.count()

    response, errors = post(staff_with_a_photo, sample)

    if PHOTO in sample.accepted_by:
        assert response.status_code == 302
        files_after = stored_files()
        assert files_before.items() <= files_after.items()
        new = files_after.keys() - files_before.keys()
        assert len(new) == 3  # the original, the large rendition and the thumbnail
        for path in new:
            assert_sanitised(Path(path))
    else:
        assert response.status_code == 200
        (error,) = errors
        assert error.startswith(("文件不是有效的图片", "图片尺寸过大", "所提交的是空文件"))
        assert error in response.content.decode()
        assert ProjectPhoto.objects.count() + FloorPlan.objects.count() == rows_before
        assert stored_files() == files_before
