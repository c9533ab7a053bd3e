"""Photos straight from a phone's camera (issue 16: an 8.7 MB JPEG was refused with
"单个文件不能超过 5 MB，请压缩后重新上传"): a 12 MB photo is taken in 信息填报, with and
without JavaScript, and stored scaled down within the bound."""

from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from applications import documents
from applications.models import Document
from tests.browser.accounts_steps import field, log_in_as
from tests.browser.conftest import screenshot
from tests.factories import make_applicant, make_plan, phone_photo


@pytest.fixture(scope="module")
def twelve_megabytes(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "IMG_20261205_090012.jpg"
    path.write_bytes(phone_photo())
    assert path.stat().st_size >= 12 * 1024 * 1024
    return path


def stored_photo(applicant) -> Document:
    document = Document.objects.get(owner=applicant, kind="contributions")
    with document.file.open("rb") as file:
        image = Image.open(file)
        image.load()
    assert max(image.size) == documents.MAX_DOCUMENT_SIDE
    assert document.size <= documents.MAX_STORED_IMAGE_BYTES
    return document


def test_a_12_mb_phone_photo_is_taken_and_stored_within_the_bound(
    page: Page, twelve_megabytes: Path
) -> None:
    plan = make_plan()
    applicant = make_applicant(name="陈小红")
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")

    page.get_by_label(field("社保或个税缴纳证明")).set_input_files(twelve_megabytes)

    item = page.locator("#documents-contributions")
    expect(item.locator(".document", has_text="IMG_20261205_090012")).to_be_visible(timeout=30_000)
    expect(item.locator(".field__error")).to_have_count(0)
    screenshot(page, "issue16-phone-photo")
    stored_photo(applicant)


def test_the_photo_is_taken_without_javascript_too(browser, live_server, twelve_megabytes) -> None:
    plan = make_plan()
    applicant = make_applicant(name="陈小红")
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    page = context.new_page()
    log_in_as(page, applicant)
    page.goto(f"/plans/{plan.pk}/info/edit/")

    page.get_by_label(field("社保或个税缴纳证明")).set_input_files(twelve_megabytes)
    page.get_by_role("button", name="暂存").click()

    expect(page.get_by_text("IMG_20261205_090012").first).to_be_visible(timeout=30_000)
    stored_photo(applicant)
    context.close()
