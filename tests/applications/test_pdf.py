"""导出 PDF (manual 6.1): the printable record of a registration, and the public check it points to.

The record is rendered by WeasyPrint for real; its text is read back with pypdf and its first
page is turned into a picture with poppler's pdftoppm, so a look at var/screenshots/ shows
what an applicant prints.
"""

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from applications import pdf
from applications.models import Registration
from applications.registration import register
from applications.views import records
from tests.clock import beijing
from tests.factories import (
    id_number_for,
    image_upload,
    make_applicant,
    make_document,
    make_info,
    make_plan,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
CHILD_ID_NUMBER = id_number_for(date(2018, 1, 1), female=True)


@pytest.fixture
def applicant():
    return make_applicant(name="欧阳明月")


@pytest.fixture
def registration(applicant) -> Registration:
    plan = make_plan(
        title="2026年第一批海淀区青年人才保障性租赁住房专项配租计划",
        projects=[make_project(name="海淀区永丰家园公租房项目", district="haidian")],
    )
    make_info(
        applicant,
        plan,
        members=[("欧阳小月", "child", CHILD_ID_NUMBER)],
        emergency_contact_name="司马长风",
        emergency_contact_phone="13700000001",
        current_address="北京市海淀区永丰路88号院3号楼2单元501室",
        employer="北京中关村软件园科技发展有限公司",
        employer_credit_code="91350100M000100Y43",
    )
    return register(applicant=applicant, plan=plan, offering=plan.plan_projects.get()).registration


@pytest.fixture
def signed_in(client, applicant):
    client.force_login(applicant)
    return client


def pdf_url(registration: Registration) -> str:
    return reverse("applications:record_pdf", args=[registration.number])


def text_of(content: bytes) -> str:
    """The PDF's text with line breaks and spaces taken out, as a reader would join it."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def font_names(content: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(content))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.get_object().values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_owner_downloads_the_record_as_a_pdf_attachment(signed_in, registration):
    response = signed_in.get(pdf_url(registration))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{registration.number}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")


def test_record_holds_plan_number_masked_id_project_and_progress(
    signed_in, applicant, registration
):
    text = text_of(signed_in.get(pdf_url(registration)).content)

    assert "2026年第一批海淀区青年人才保障性租赁住房专项配租计划" in text
    assert registration.number in text
    assert applicant.real_name in text
    assert registration.info.masked_id_number in text
    assert "海淀区永丰家园公租房项目" in text
    assert "目前进度已登记" in text
    assert registration.verification_code in text


def test_record_never_shows_full_id_numbers(signed_in, applicant, registration):
    text = text_of(signed_in.get(pdf_url(registration)).content)

    assert applicant.id_number not in text
    assert CHILD_ID_NUMBER not in text
    assert f"110105********{CHILD_ID_NUMBER[-4:]}" in text


def test_record_embeds_only_cjk_fonts(signed_in, registration):
    """Every glyph comes from Noto Sans CJK or its cut-down copy (manage.py build_pdf_fonts):
    no other fallback font, so no missing-glyph boxes."""
    names = font_names(signed_in.get(pdf_url(registration)).content)

    assert names
    assert all("Record-Sans" in name or "Noto-Sans-CJK" in name for name in names), names
    if pdf.fonts_dir().joinpath("record-sans-regular.otf").exists():
        # Every character of this record is in the cut-down font: the full one is not needed.
        assert all("Record-Sans" in name for name in names), names


def test_a_rare_character_in_a_name_comes_from_the_full_font(client, registration):
    """喆 is not in GB 2312, so not in the cut-down font: the full Noto font draws it."""
    applicant = registration.applicant
    info = registration.info
    info.real_name = "欧阳喆"
    info.save()
    client.force_login(applicant)
    content = client.get(pdf_url(registration)).content
    assert "欧阳喆" in text_of(content)
    assert any("Noto-Sans-CJK" in name for name in font_names(content))


def test_first_page_renders_to_a_picture_that_is_not_blank(signed_in, registration):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm is missing: install poppler-utils to render the PDF to PNG")
    content = signed_in.get(pdf_url(registration)).content
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    source = SCREENSHOTS / "record-pdf.pdf"
    source.write_bytes(content)

    command = [pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run(  # noqa: S603 - a fixed program on a file this test wrote
        [*command, str(source), str(SCREENSHOTS / "record-pdf-1")],
        check=True,
        timeout=60,
    )

    page = Image.open(SCREENSHOTS / "record-pdf-1.png").convert("L")
    assert page.size[1] > page.size[0]  # A4 upright
    dark = sum(page.histogram()[:128])
    assert dark / (page.size[0] * page.size[1]) > 0.01  # text and table lines, not a blank page


def text_outside_the_page(content: bytes) -> list[str]:
    """Pieces of text that start within 12 mm of the right edge (the margin is 16 mm)."""
    outside = []
    for page in PdfReader(io.BytesIO(content)).pages:
        limit = float(page.mediabox.width) - 34

        def visit(text, cm, tm, font, size, limit=limit):
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            if text.strip() and x > limit:
                outside.append(text)

        page.extract_text(visitor_text=visit)
    return outside


def test_long_file_names_and_reasons_stay_on_the_page(signed_in, applicant, registration):
    long_name = "IMG_20260101_" + "1234567890" * 8 + ".jpg"
    registration.info.documents.add(
        make_document(applicant, "other", upload=image_upload(long_name))
    )
    reviewer = make_user(is_staff=True)
    registration.start_review(by=reviewer)
    registration.reject(by=reviewer, reason="经核查，劳动合同与社保缴纳单位不一致。" * 4)

    content = signed_in.get(pdf_url(registration)).content

    assert text_outside_the_page(content) == []
    assert "IMG_20260101_1234567890" in text_of(content)


def test_another_applicants_record_is_not_found(client, registration):
    client.force_login(make_applicant())

    assert client.get(pdf_url(registration)).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, registration):
    response = client.get(pdf_url(registration))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert "next=" in response.url


def test_post_is_not_allowed(signed_in, registration):
    assert signed_in.post(pdf_url(registration)).status_code == 405


def test_exports_beyond_the_hourly_limit_are_refused_with_a_message(
    signed_in, registration, monkeypatch
):
    monkeypatch.setattr(records, "PDF_EXPORTS_PER_HOUR", 1)
    assert signed_in.get(pdf_url(registration))["Content-Type"] == "application/pdf"

    response = signed_in.get(pdf_url(registration), follow=True)

    assert response.redirect_chain == [(registration.get_absolute_url(), 302)]
    assert "导出过于频繁，请稍后再试。" in response.content.decode()


def test_export_limit_is_per_applicant(client, registration, monkeypatch):
    monkeypatch.setattr(records, "PDF_EXPORTS_PER_HOUR", 1)
    client.force_login(registration.applicant)
    client.get(pdf_url(registration))
    other = make_applicant()
    plan = make_plan()
    make_info(other, plan, documents=[])
    theirs = register(applicant=other, plan=plan, offering=plan.plan_projects.get()).registration
    client.force_login(other)

    response = client.get(pdf_url(theirs))

    assert response["Content-Type"] == "application/pdf"


# The verification code -------------------------------------------------------------------------


def test_verification_url_uses_the_site_address_not_the_request(settings, registration):
    settings.SITE_URL = "https://pzpt.example.gov.cn"

    assert pdf.verification_url(registration) == (
        f"https://pzpt.example.gov.cn/verify/{registration.verification_code}/"
    )


def test_record_prints_the_verification_address(signed_in, settings, registration):
    """Opened through another accepted host name (an intranet alias), the printout still
    points at the public site."""
    settings.SITE_URL = "https://pzpt.example.gov.cn"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "intranet.example.com"]

    response = signed_in.get(pdf_url(registration), HTTP_HOST="intranet.example.com")

    text = text_of(response.content)
    assert pdf.verification_url(registration) in text
    assert "intranet.example.com" not in text


def test_verify_page_shows_the_progress_without_personal_data(client, applicant, registration):
    response = client.get(reverse("applications:verify", args=[registration.verification_code]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "该配租登记记录真实有效" in page
    assert "已登记" in page
    assert registration.plan.title in page
    assert applicant.real_name not in page
    assert "欧阳" not in page
    assert applicant.id_number not in page
    assert registration.info.masked_id_number not in page
    assert applicant.id_number[-4:] not in page
    assert applicant.phone.as_e164 not in page
    assert applicant.phone.as_e164[3:] not in page
    assert "司马长风" not in page  # the emergency contact
    assert "13700000001" not in page
    assert "永丰路88号院" not in page  # the address
    assert "中关村软件园" not in page  # the employer


def test_verify_page_follows_the_current_progress(client, registration):
    registration.start_review(by=make_user(is_staff=True))

    response = client.get(reverse("applications:verify", args=[registration.verification_code]))

    assert "审核中" in response.content.decode()


def test_verify_page_of_an_unknown_code_is_not_found(client, registration):
    response = client.get(reverse("applications:verify", args=["AAAAAAAAAAAA"]))

    assert response.status_code == 404


def test_verify_page_refuses_post(client, registration):
    url = reverse("applications:verify", args=[registration.verification_code])

    assert client.post(url).status_code == 405


def test_a_repeat_export_is_the_stored_file(signed_in, registration, monkeypatch, time_machine):
    time_machine.move_to(beijing(2026, 6, 1, 10, 15), tick=False)
    first = signed_in.get(pdf_url(registration)).content
    assert "生成时间：2026年6月1日10:15" in text_of(first)
    rendered = []
    monkeypatch.setattr(pdf, "render_pdf", lambda html: rendered.append(html))
    time_machine.move_to(beijing(2026, 6, 1, 10, 40), tick=False)
    later = Client()  # a new session: the last one was idle too long
    later.force_login(registration.applicant)
    again = later.get(pdf_url(registration)).content
    assert again == first
    assert rendered == []


def test_a_decision_makes_a_new_record(signed_in, registration, time_machine):
    time_machine.move_to(beijing(2026, 6, 1, 10), tick=False)
    first = signed_in.get(pdf_url(registration)).content
    reviewer = make_user(is_staff=True)
    time_machine.move_to(beijing(2026, 6, 2, 10), tick=False)
    registration.start_review(by=reviewer)
    registration.reject(by=reviewer, reason="劳动合同照片与工作单位名称不一致，请核对后重新申请。")
    later = Client()  # a new session: the last one was idle too long
    later.force_login(registration.applicant)
    second = text_of(later.get(pdf_url(registration)).content)
    assert second != text_of(first)
    assert "目前进度审核不通过" in second
    assert "劳动合同照片与工作单位名称不一致" in second
    assert "生成时间：2026年6月2日10:00" in second


def test_warming_up_loads_the_fonts_once_for_the_process(monkeypatch):
    monkeypatch.setattr(pdf, "_fonts", None)
    pdf.warm_up()
    fonts = pdf._fonts
    assert fonts is not None
    pdf.warm_up()
    assert pdf._fonts is fonts
