"""Every sample of tests/corpus posted to the applicant's document upload (信息填报 上传材料),
as the whole form and as the htmx request a chosen file sends on its own.

A sample the documents endpoint accepts is stored sanitised (named by its content, re-encoded
or rewritten); any other is refused beside the field with a sentence in Chinese, and nothing
stored before changes. Never a 500.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from applications import drafts
from applications.models import Document
from tests.corpus import DOCUMENT, SAMPLES, Sample, assert_sanitised, stored_files
from tests.factories import INFO_FIELDS, image_upload, make_applicant, make_plan

pytestmark = pytest.mark.django_db

KIND = "employment"  # 劳动合同或在职证明: photos and PDFs


@pytest.fixture
def applicant_with_a_document(client):
    """A signed-in applicant whose draft already holds one stored document."""
    applicant, plan = make_applicant(), make_plan()
    draft = drafts.load(applicant, plan)
    assert not drafts.add_uploads(draft, MultiValueDict({f"upload_{KIND}": [image_upload()]}))
    client.force_login(applicant)
    return client, plan, draft


def sent(sample: Sample) -> SimpleUploadedFile:
    return SimpleUploadedFile(sample.name, sample.content, content_type="application/pdf")


def post_whole_form(client, plan, sample: Sample):
    data = {**INFO_FIELDS, "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}
    return client.post(
        reverse("applications:fill", args=[plan.pk]), {**data, f"upload_{KIND}": sent(sample)}
    )


def post_htmx(client, plan, sample: Sample):
    return client.post(
        reverse("applications:upload", args=[plan.pk]),
        {"kind": KIND, f"upload_{KIND}": sent(sample)},
        HTTP_HX_REQUEST="true",
    )


def beside_the_field(html: str) -> str:
    """The 劳动合同或在职证明 block, from its id to its file input."""
    start = html.index(f'id="documents-{KIND}"')
    return html[start : html.index(f'name="upload_{KIND}"', start)]


@pytest.mark.parametrize("post", [post_whole_form, post_htmx], ids=["whole form", "htmx"])
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_every_sample_is_refused_cleanly_or_stored_sanitised(
    applicant_with_a_document, post, sample
):
    client, plan, draft = applicant_with_a_document
    files_before, documents_before = stored_files(), set(draft.documents.all())

    response = post(client, plan, sample)

    assert response.status_code == 200
    html = response.content.decode()
    if post is post_htmx:
        assert "<html" not in html  # the block alone, swapped in place
    refusal = f"{sample.name}："  # each refusal names the file it is about
    documents_after = set(draft.documents.all())
    if DOCUMENT in sample.accepted_by:
        assert refusal not in html
        new = documents_after - documents_before
        assert len(new) == 1
        assert documents_before < documents_after
        files_after = stored_files()
        assert files_before.items() <= files_after.items()  # nothing stored before changed
        assert len(files_after) > len(files_before)
        for path in files_after.keys() - files_before.keys():
            assert_sanitised(Path(path))
    else:
        assert refusal in beside_the_field(html)
        assert documents_after == documents_before
        assert Document.objects.count() == len(documents_before)
        assert stored_files() == files_before
