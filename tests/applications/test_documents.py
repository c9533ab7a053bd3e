"""Uploaded documents (applications.documents) and the views that serve them to their owner.

An upload is judged by its content only; what is kept is re-encoded, and a refused upload
leaves nothing behind: no Document row and no file in the private storage folder (a temporary
folder, see tests/conftest.py).
"""

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from PIL import Image

from applications import documents, drafts
from applications.models import Document, DocumentKind
from rentcenter import images, pdfs
from rentcenter.storage import private_storage
from tests.corpus import pdfs as crafted
from tests.factories import (
    image_bytes,
    image_upload,
    make_applicant,
    make_document,
    make_info,
    make_plan,
    make_staff,
    pdf_bytes,
    pdf_of_size,
    pdf_upload,
    phone_photo,
)

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def stored_files() -> set[Path]:
    root = Path(private_storage().location)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def photo_exif(*, orientation: int = 1) -> Image.Exif:
    """What a phone writes: where the photo was taken, the camera, how it was held."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)})
    return exif


def read(field) -> bytes:
    with field.open("rb") as file:
        return file.read()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header declares width × height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", rows)
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture
def owner():
    return make_applicant()


# Accepted uploads ------------------------------------------------------------------------------


def test_jpeg_is_stored_re_encoded_upright_and_without_exif(owner):
    original = image_bytes(size=(64, 48), exif=photo_exif(orientation=6))  # held turned right
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    document = documents.store(
        owner_id=owner.pk,
        kind="id_front",
        upload=upload("IMG_0001.jpg", original),
        budget_used=0,
    )

    content = read(document.file)
    kept = Image.open(io.BytesIO(content))
    assert kept.format == "JPEG"
    assert kept.size == (48, 64)  # the orientation was applied to the pixels
    assert dict(kept.getexif()) == {}
    assert b"Exif" not in content
    assert b"PhoneMaker" not in content
    assert content != original
    assert document.content_type == "image/jpeg"
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.file.name.endswith(".jpg")
    assert "IMG_0001" not in document.file.name


def test_jpeg_comment_is_not_kept(owner):
    document = documents.store(
        owner_id=owner.pk,
        kind="id_front",
        upload=upload("IMG_0002.jpg", jpeg_with_comment(b"Huawei P60 owner 13800000000")),
        budget_used=0,
    )

    content = read(document.file)
    assert b"13800000000" not in content
    assert b"13800000000" not in read(document.thumbnail)


def test_png_is_stored_as_png_without_exif(owner):
    original = image_bytes(size=(40, 30), fmt="PNG", exif=photo_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    document = documents.store(
        owner_id=owner.pk, kind="hukou", upload=upload("scan.png", original), budget_used=0
    )

    content = read(document.file)
    kept = Image.open(io.BytesIO(content))
    assert kept.format == "PNG"
    assert kept.size == (40, 30)
    assert dict(kept.getexif()) == {}
    assert b"PhoneMaker" not in content
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_an_image_gets_a_jpeg_thumbnail(owner, fmt):
    document = make_document(
        owner, "id_back", upload=image_upload("card", fmt=fmt, size=(900, 600))
    )

    thumbnail = Image.open(io.BytesIO(read(document.thumbnail)))
    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) == 480
    assert dict(thumbnail.getexif()) == {}


def test_very_large_photos_are_scaled_down_to_the_longest_side_kept(owner):
    document = make_document(owner, upload=image_upload(size=(5000, 2500)))

    kept = Image.open(io.BytesIO(read(document.file)))
    assert kept.size == (documents.MAX_DOCUMENT_SIDE, documents.MAX_DOCUMENT_SIDE // 2)


# Photos straight from a phone (issue 16: an 8.7 MB photo was refused) -----------------------


@pytest.fixture(scope="module")
def twelve_megabyte_photo() -> bytes:
    """12 megapixels held turned right, with the GPS position: what a phone uploads."""
    content = phone_photo(exif=photo_exif(orientation=6))
    assert len(content) >= 12 * documents.MB
    return content


def test_a_12_mb_phone_photo_is_stored_upright_legible_and_within_the_bound(
    owner, twelve_megabyte_photo
):
    document = documents.store(
        owner_id=owner.pk,
        kind="contributions",
        upload=upload("IMG_20261205_0900.jpg", twelve_megabyte_photo),
        budget_used=0,
    )

    content = read(document.file)
    kept = Image.open(io.BytesIO(content))
    assert kept.format == "JPEG"
    assert kept.size == (1920, 2560)  # turned upright, longest side 2560 px
    assert len(content) == document.size <= documents.MAX_STORED_IMAGE_BYTES
    assert dict(kept.getexif()) == {}
    assert b"PhoneMaker" not in content
    assert max(Image.open(io.BytesIO(read(document.thumbnail))).size) == 480


def test_a_photo_too_grainy_for_the_bound_is_stored_smaller_still(owner, monkeypatch):
    grainy = phone_photo(size=(2560, 1920), grain=80)
    at_first = len(documents._encoded(Image.open(io.BytesIO(grainy)), "JPEG", quality=85))
    monkeypatch.setattr(documents, "MAX_STORED_IMAGE_BYTES", at_first - 1)

    stored = documents.inspect(upload("grainy.jpg", grainy), kind="id_front")

    assert len(stored.content) <= at_first - 1
    assert stored.content_type == "image/jpeg"


def test_a_photo_that_cannot_be_brought_within_the_bound_is_refused(owner, monkeypatch):
    monkeypatch.setattr(documents, "MAX_STORED_IMAGE_BYTES", 1000)
    grainy = phone_photo(size=(1000, 750), grain=80)

    with pytest.raises(ValidationError) as refusal:
        documents.inspect(upload("grainy.jpg", grainy), kind="id_front")

    assert refusal.value.code == "too_detailed"
    assert "重新拍摄" in refusal.value.messages[0]


def test_a_png_screenshot_too_large_to_keep_lossless_is_stored_as_jpeg(owner, monkeypatch):
    monkeypatch.setattr(documents, "MAX_STORED_IMAGE_BYTES", 50_000)
    screenshot = io.BytesIO()
    Image.merge("RGB", [Image.effect_noise((400, 300), 40) for _ in range(3)]).save(
        screenshot, "PNG"
    )

    stored = documents.inspect(upload("截图.png", screenshot.getvalue()), kind="hukou")

    assert stored.content_type == "image/jpeg"
    assert len(stored.content) <= 50_000


def test_a_50_megapixel_photo_is_accepted_decoded_at_half_its_size(owner):
    big = io.BytesIO()
    Image.linear_gradient("L").resize((8160, 6120)).save(big, "JPEG", quality=80)
    assert images.MAX_PIXELS < 8160 * 6120

    stored = documents.inspect(upload("50mp.jpg", big.getvalue()), kind="id_front")

    assert Image.open(io.BytesIO(stored.content)).size == (2560, 1920)
    decoded = images.open_image(
        big, formats=documents.DOCUMENT_IMAGE_FORMATS, max_jpeg_pixels=10**9, draft_side=2560
    )
    assert decoded.size == (4080, 3060)  # never held at 50 megapixels


def test_a_png_over_40_megapixels_is_still_refused(owner):
    with pytest.raises(ValidationError) as refusal:
        documents.inspect(upload("huge.png", png_declaring(8000, 6000)), kind="id_front")

    assert refusal.value.code == "too_many_pixels"
    assert "4000 万像素" in refusal.value.messages[0]


def into_the_pixels(jpeg: bytes, insert: bytes) -> bytes:
    """The JPEG with `insert` put in the middle of its compressed pixels (after start of scan)."""
    start_of_scan = jpeg.find(b"\xff\xda")
    pixels = start_of_scan + 2 + int.from_bytes(jpeg[start_of_scan + 2 : start_of_scan + 4])
    middle = pixels + (len(jpeg) - pixels) // 2
    return jpeg[:middle] + insert + jpeg[middle:]


def test_chance_bytes_in_the_pixels_of_a_photo_are_not_markup(owner):
    """Compressed pixels look random: a "<svg " among 12 MB of them happened about once in a
    thousand photos, and the photo was refused as 文件内容异常."""
    photo = into_the_pixels(phone_photo(size=(400, 300)), b"<svg ")

    stored = documents.inspect(upload("IMG_0001.jpg", photo), kind="id_front")

    assert stored.content_type == "image/jpeg"


@pytest.mark.parametrize(
    "where",
    ["comment", "after the end", "png text chunk", "after the png's end", "broken structure"],
)
def test_markup_outside_the_pixels_is_still_found(where):
    markup = b"<script>alert(1)</script>"
    jpeg = phone_photo(size=(64, 48))
    png = image_bytes(fmt="PNG")
    content = {
        "comment": jpeg_with_comment(markup),
        "after the end": jpeg + markup,
        "png text chunk": png[:33] + png_chunk(b"tEXt", b"Comment\x00" + markup) + png[33:],
        "after the png's end": png + markup,
        "broken structure": jpeg[:2] + b"\x00" + markup + jpeg[2:],
    }[where]

    assert markup in images.outside_pixels(content)
    assert documents.MARKUP.search(images.outside_pixels(content))


def test_a_made_up_file_of_endless_tiny_segments_is_searched_whole():
    """Following a million segments would cost a worker seconds: past MAX_SEGMENTS, the file is
    searched as it is."""
    content = b"\xff\xd8" + b"\xff\x01" * (images.MAX_SEGMENTS + 1) + b"<svg onload=x>"

    assert images.outside_pixels(content) == content


def test_only_the_pixels_are_left_out():
    jpeg = phone_photo(size=(400, 300))
    kept = images.outside_pixels(jpeg)

    assert len(kept) < len(jpeg) // 10
    assert kept.startswith(b"\xff\xd8")
    assert kept.endswith(b"\xff\xd9")


def test_a_pdf_over_5_mb_is_refused_with_a_way_out(owner):
    content = pdf_of_size(documents.MAX_PDF_BYTES + 1)

    with pytest.raises(ValidationError) as refusal:
        documents.inspect(upload("scan.pdf", content, "application/pdf"), kind="employment")

    assert refusal.value.code == "pdf_too_large"
    assert refusal.value.messages == [
        "PDF 文件不能超过 5 MB，可改为上传各页的照片（每张不超过 20 MB，会自动压缩）。"
    ]


def test_type_is_decided_by_content_not_by_name(owner):
    document = documents.store(
        owner_id=owner.pk,
        kind="id_front",
        upload=upload("photo.pdf", image_bytes(fmt="PNG"), "application/pdf"),
        budget_used=0,
    )

    assert document.content_type == "image/png"
    assert document.original_name == "photo.png"


@pytest.mark.parametrize("kind", sorted(documents.PDF_KINDS))
def test_pdf_is_accepted_for_contracts_and_certificates_and_stored_rewritten(owner, kind):
    content = pdf_bytes()

    document = documents.store(owner_id=owner.pk, kind=kind, upload=pdf_upload(), budget_used=0)

    kept = read(document.file)
    assert document.content_type == "application/pdf"
    assert kept == pdfs.clean(content) != content
    assert len(pikepdf.open(io.BytesIO(kept)).pages) == 1
    assert document.size == len(kept)
    assert document.sha256 == hashlib.sha256(kept).hexdigest()
    assert document.file.name.endswith(".pdf")
    assert not document.thumbnail


@pytest.mark.parametrize("kind", sorted(set(DocumentKind.values) - documents.PDF_KINDS))
def test_pdf_is_refused_for_identity_documents(owner, kind):
    before = stored_files()

    with pytest.raises(ValidationError) as refusal:
        documents.store(owner_id=owner.pk, kind=kind, upload=pdf_upload(), budget_used=0)

    assert refusal.value.code == "pdf_not_allowed"
    assert refusal.value.messages == ["此项材料请上传 JPG 或 PNG 格式的照片。"]
    assert Document.objects.count() == 0
    assert stored_files() == before


def test_pdf_whose_compressed_data_happens_to_hold_js_is_accepted(owner):
    """Three bytes like /JS turn up by chance in about one 5 MB scan in four."""
    scan = b"<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length 12 >>\nstream\n"
    scan += b"\x8f/JS)\x00\x13\xfe/JS \x01\nendstream"

    document = documents.store(
        owner_id=owner.pk,
        kind="employment",
        upload=pdf_upload(objects=(scan,)),
        budget_used=0,
    )

    assert document.content_type == "application/pdf"


def test_pdf_with_a_harmless_object_stream_is_accepted(owner):
    fonts = object_stream(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")

    document = documents.store(
        owner_id=owner.pk, kind="employment", upload=pdf_upload(objects=(fonts,)), budget_used=0
    )

    assert document.content_type == "application/pdf"


def test_photo_whose_bytes_happen_to_hold_a_tag_name_is_accepted(owner):
    """Compressed pixels are noise: "<svg" followed by any byte turns up now and then."""
    photo = jpeg_with_comment(b"\x13<svg\x9a\x01<BODY\xf3")

    document = documents.store(
        owner_id=owner.pk, kind="id_front", upload=upload("photo.jpg", photo), budget_used=0
    )

    assert document.content_type == "image/jpeg"


def test_a_file_of_exactly_5_mb_is_accepted(owner):
    jpeg = image_bytes()
    padded = jpeg + b"\x00" * (documents.MAX_DOCUMENT_BYTES - len(jpeg))  # after the JPEG end

    document = documents.store(
        owner_id=owner.pk, kind="id_front", upload=upload("big.jpg", padded), budget_used=0
    )

    assert document.size < 10_000  # the padding was not kept


# Attacks -----------------------------------------------------------------------------------------


def jpeg_with_comment(comment: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#3b7dd8").save(buffer, "JPEG", comment=comment)
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    content = image_bytes(size=(400, 300), color="#808000")
    return content[: len(content) // 2]


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (16, 16)).save(buffer, "GIF")
    return buffer.getvalue()


def object_stream(*objects: bytes) -> bytes:
    """A compressed object stream (PDF 1.5) holding `objects` as objects 10, 11…"""
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    index = b" ".join(b"%d %d" % (10 + n, offset) for n, offset in enumerate(offsets)) + b"\n"
    data = zlib.compress(index + body)
    head = b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>" % (
        len(objects),
        len(index),
        len(data),
    )
    return head + b"\nstream\n" + data + b"\nendstream"


ATTACKS = {
    "text named .jpg": ("id_front", "photo.jpg", b"just some text, not a photo\n" * 20),
    "truncated JPEG": ("id_front", "photo.jpg", truncated_jpeg()),
    "pixel bomb": ("id_front", "bomb.png", png_declaring(20_000, 20_000)),
    "GIF named .jpg": ("id_front", "photo.jpg", gif_bytes()),
    "WebP": ("id_front", "photo.webp", image_bytes(fmt="WEBP")),
    "over 20 MB": ("id_front", "big.jpg", image_bytes() + b"\x00" * documents.MAX_DOCUMENT_BYTES),
    "script after the JPEG": (
        "id_front",
        "photo.jpg",
        image_bytes() + b"<script>alert(1)</script>",
    ),
    "script in a JPEG comment": (
        "id_front",
        "photo.jpg",
        jpeg_with_comment(b"<script>alert(1)</script>"),
    ),
    "HTML page named .jpg": (
        "id_front",
        "photo.jpg",
        b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
    ),
    "SVG ending its tag name with a slash": (
        "id_front",
        "photo.jpg",
        image_bytes() + b"<svg/onload=alert(1)>",
    ),
    "SVG named .png": (
        "id_back",
        "photo.png",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ),
    "PDF without %%EOF": ("employment", "contract.pdf", pdf_bytes(eof=False)),
    "PDF cut in half": ("employment", "contract.pdf", pdf_bytes()[:300]),
    "PDF needing a password to open": (
        "employment",
        "contract.pdf",
        crafted.encrypted(user_password="secret"),
    ),
    "PDF of 101 pages": ("education", "diploma.pdf", crafted.honest(pages=pdfs.MAX_PAGES + 1)),
    "PDF naming one page a billion times": ("other", "other.pdf", crafted.page_tree_bomb()),
    "PDF nested 100 000 deep": ("employment", "contract.pdf", crafted.deep_nesting()),
    "PDF whose object stream inflates to 640 MB": (
        "employment",
        "contract.pdf",
        crafted.object_stream_bomb(),
    ),
    "HTML page starting with a PDF header": (
        "employment",
        "contract.pdf",
        b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n",
    ),
}


@pytest.mark.parametrize(("kind", "name", "content"), ATTACKS.values(), ids=ATTACKS.keys())
def test_attack_is_refused_and_nothing_is_stored(owner, kind, name, content):
    before = stored_files()

    with pytest.raises(ValidationError) as refusal:
        documents.store(owner_id=owner.pk, kind=kind, upload=upload(name, content), budget_used=0)

    assert refusal.value.messages  # a sentence for the applicant
    assert Document.objects.count() == 0
    assert stored_files() == before


def test_truncated_images_stay_refused_once_the_pdf_renderer_is_loaded(owner):
    import applications.pdf  # noqa: F401 - every worker loads it with the URL configuration

    with pytest.raises(ValidationError) as refusal:
        documents.store(
            owner_id=owner.pk,
            kind="id_front",
            upload=upload("photo.jpg", truncated_jpeg()),
            budget_used=0,
        )

    assert refusal.value.code == "invalid_image"
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (
            b"GIF89a not really",
            "invalid_image",
            "文件不是有效的图片，请上传 JPG 或 PNG 格式的文件。",
        ),
        (png_declaring(20_000, 20_000), "too_many_pixels", "图片尺寸过大"),
        (b"\xff\xd8" + b"\0" * documents.MAX_DOCUMENT_BYTES, "too_large", "不能超过 20 MB"),
        (image_bytes() + b"<script>", "markup", "文件内容异常"),
    ],
)
def test_refusals_say_why_in_plain_words(content, code, message):
    with pytest.raises(ValidationError) as refusal:
        documents.inspect(upload("photo.jpg", content), kind="id_front")

    assert refusal.value.code == code
    assert message in refusal.value.messages[0]


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (pdf_bytes(eof=False), "truncated_pdf", "PDF 文件不完整，请重新导出后上传。"),
        (b"%PDF-1.7\nnot a document\n%%EOF\n", "invalid_pdf", "文件不是有效的 PDF"),
        (crafted.encrypted(user_password="x"), "encrypted_pdf", "PDF 文件设有打开密码"),
        (crafted.honest(pages=101), "too_many_pages", "PDF 文件不能超过 100 页"),
        (crafted.object_stream_bomb(), "invalid_pdf", "文件不是有效的 PDF"),
    ],
)
def test_pdf_refusals_say_why(content, code, message):
    with pytest.raises(ValidationError) as refusal:
        documents.inspect(upload("contract.pdf", content, "application/pdf"), kind="employment")

    assert refusal.value.code == code
    assert message in refusal.value.messages[0]


# PDFs that can act are stored without what acts (issue #10, finding 2) ------------------------


def store_pdf(owner, content: bytes) -> Document:
    return documents.store(
        owner_id=owner.pk,
        kind="employment",
        upload=upload("contract.pdf", content, "application/pdf"),
        budget_used=0,
    )


@pytest.mark.parametrize("name", sorted(crafted.ACTIVE))
def test_active_content_in_object_streams_is_removed_before_storing(owner, name):
    content = crafted.active(name)
    assert b"/ObjStm" in content
    assert crafted.SCRIPT_BYTES not in content

    document = store_pdf(owner, content)

    kept = read(document.file)
    crafted.assert_inert(kept)
    assert document.size == len(kept)
    assert document.sha256 == hashlib.sha256(kept).hexdigest()


def test_script_hidden_from_a_byte_scan_by_a_comment_is_removed(owner):
    """The finding's file: an /OpenAction script in an object stream whose dictionary holds a
    comment. It was accepted and served back byte for byte."""
    content = crafted.hidden_from_byte_scan()

    document = store_pdf(owner, content)

    kept = read(document.file)
    assert kept != content
    assert crafted.SCRIPT_BYTES not in kept
    assert "/OpenAction" not in pikepdf.open(io.BytesIO(kept)).Root
    crafted.assert_inert(kept)


def test_script_named_with_hash_escapes_is_removed(owner):
    """/J#61vaScript is /JavaScript (ISO 32000-1 §7.3.5), in a file without object streams."""
    content = crafted.active("OpenAction JavaScript", object_streams=False)
    content = content.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ")

    document = store_pdf(owner, content)

    crafted.assert_inert(read(document.file))


def test_pdf_that_opens_without_a_password_is_stored_decrypted(owner):
    """Permissions-only encryption (no password to open) is common on official statements: the
    parser reads it in full, so it is cleaned like any other and stored without encryption."""
    document = store_pdf(owner, crafted.encrypted(user_password=""))

    kept = pikepdf.open(io.BytesIO(read(document.file)))
    assert not kept.is_encrypted
    assert b"Labour contract" in kept.pages[0].Contents.read_bytes()


def test_what_follows_the_end_of_a_pdf_is_not_kept(owner):
    content = crafted.honest() + b"<html><script>alert(document.cookie)</script></html>\n%%EOF\n"

    document = store_pdf(owner, content)

    assert b"<script>" not in read(document.file)


def test_a_declared_size_over_20_mb_is_refused_before_reading(owner):
    class Huge(SimpleUploadedFile):
        def read(self, *args):  # pragma: no cover - must not be called
            raise AssertionError("the content of an oversize upload was read")

    huge = Huge("big.jpg", b"", content_type="image/jpeg")
    huge.size = documents.MAX_DOCUMENT_BYTES + 1

    with pytest.raises(ValidationError) as refusal:
        documents.inspect(huge, kind="id_front")

    assert refusal.value.code == "too_large"


# The 30 MB budget --------------------------------------------------------------------------------


def test_upload_that_fits_the_applicants_budget_exactly_is_stored(owner):
    photo = image_bytes(size=(200, 100))
    size = len(documents.inspect(upload("a.jpg", photo), kind="id_front").content)

    document = documents.store(
        owner_id=owner.pk,
        kind="id_front",
        upload=upload("a.jpg", photo),
        budget_used=documents.MAX_APPLICANT_BYTES - size,
    )

    assert document.size == size


def test_upload_one_byte_over_the_applicants_budget_is_refused(owner):
    photo = image_bytes(size=(200, 100))
    size = len(documents.inspect(upload("a.jpg", photo), kind="id_front").content)
    before = stored_files()

    with pytest.raises(ValidationError) as refusal:
        documents.store(
            owner_id=owner.pk,
            kind="id_front",
            upload=upload("a.jpg", photo),
            budget_used=documents.MAX_APPLICANT_BYTES - size + 1,
        )

    assert refusal.value.code == "budget"
    assert "30 MB" in refusal.value.messages[0]
    assert Document.objects.count() == 0
    assert stored_files() == before


def test_used_bytes_counts_only_the_documents_in_use(owner):
    kept = make_document(owner, "id_front")
    make_document(owner, "id_back")  # uploaded, then removed from the draft
    someone_elses = make_document(make_applicant(), "id_front")

    used = documents.used_bytes(owner.pk, document_ids=[kept.pk, someone_elses.pk])

    assert used == kept.size


def test_uploading_and_removing_cannot_store_more_than_the_applicants_cap(owner):
    """Removed documents stay stored, so the total one applicant may store is capped too."""
    draft = drafts.load(owner, make_plan())
    refusals = {}
    largest = max(documents.MAX_PDF_BYTES, documents.MAX_STORED_IMAGE_BYTES)
    for _ in range(documents.MAX_APPLICANT_STORED_BYTES // largest + 2):
        refusals = drafts.add_uploads(draft, MultiValueDict({"upload_other": [image_upload()]}))
        for document in draft.documents.all():
            # As if it were the largest stored document: a 5 MB PDF.
            Document.objects.filter(pk=document.pk).update(size=largest)
            drafts.remove_document(draft, document)

    stored = Document.objects.filter(owner=owner).aggregate(total=Sum("size"))["total"]
    assert stored <= documents.MAX_APPLICANT_STORED_BYTES
    assert "已超过上限，请联系客服" in refusals["other"][0]


def test_unknown_kind_is_refused(owner):
    with pytest.raises(ValidationError) as refusal:
        documents.store(owner_id=owner.pk, kind="passport", upload=image_upload(), budget_used=0)

    assert refusal.value.code == "kind"


# Display names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("身份证正面.jpg", "身份证正面.jpg"),
        ("C:\\Users\\张三\\Desktop\\身份证.jpg", "身份证.jpg"),
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ('a"b<script>.jpg', "abscript.jpg"),
        ("name\r\nSet-Cookie: x=1.jpg", "nameSet-Cookie: x=1.jpg"),
        (".jpg", "材料.jpg"),
        ("照片.jpeg.exe", "照片.jpeg.jpg"),
        ("x" * 300 + ".jpg", "x" * 100 + ".jpg"),
    ],
)
def test_display_name_keeps_only_a_harmless_base_name(owner, name, shown):
    document = documents.store(
        owner_id=owner.pk, kind="id_front", upload=upload(name, image_bytes()), budget_used=0
    )

    assert document.original_name == shown
    assert shown not in document.file.name


# Serving -----------------------------------------------------------------------------------------


def document_url(document: Document) -> str:
    return reverse("applications:document", args=[document.pk])


def thumbnail_url(document: Document) -> str:
    return reverse("applications:document_thumbnail", args=[document.pk])


def staff(*, reviewer: bool):
    user = make_staff()
    if reviewer:
        user.user_permissions.add(Permission.objects.get(codename="review_document"))
    return user


def test_owner_gets_the_image_inline_with_safe_headers(client, owner):
    document = make_document(owner, upload=image_upload('我的"身份证".jpg'))
    client.force_login(owner)

    response = client.get(document_url(document))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == (
        "inline; filename=\"document.jpg\"; filename*=UTF-8''"
        "%E6%88%91%E7%9A%84%E8%BA%AB%E4%BB%BD%E8%AF%81.jpg"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == read(document.file)


def test_ascii_file_name_is_kept_in_the_fallback(client, owner):
    document = make_document(owner, upload=image_upload("id card; front.jpg"))
    client.force_login(owner)

    response = client.get(document_url(document))

    assert response["Content-Disposition"] == (
        "inline; filename=\"id card; front.jpg\"; filename*=UTF-8''id%20card%3B%20front.jpg"
    )


def test_owner_gets_a_pdf_inline_in_a_sandbox(client, owner):
    document = make_document(owner, "employment", upload=pdf_upload("劳动合同.pdf"))
    client.force_login(owner)

    response = client.get(document_url(document))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('inline; filename="document.pdf"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == read(document.file)


def registered_with(owner, document: Document) -> Document:
    """The document is part of a registration: a reviewer has a reason to read it."""
    from applications.registration import register

    plan = make_plan()
    make_info(owner, plan, documents=[document])
    register(applicant=owner, plan=plan, offering=plan.plan_projects.get())
    return document


def test_reviewer_gets_the_rewritten_pdf_in_a_sandbox(client, owner):
    """Finding 2 as the reviewer met it: the stored file, without the script, sandboxed."""
    document = registered_with(owner, store_pdf(owner, crafted.hidden_from_byte_scan()))
    client.force_login(staff(reviewer=True))

    response = client.get(document_url(document))

    body = b"".join(response.streaming_content)
    assert crafted.SCRIPT_BYTES not in body
    crafted.assert_inert(body)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_document_is_served_with_the_type_of_its_stored_name(client, owner):
    """The row's content_type is not trusted either: a row saying text/html serves a PDF."""
    document = make_document(owner, "employment", upload=pdf_upload())
    Document.objects.filter(pk=document.pk).update(content_type="text/html")
    client.force_login(owner)

    response = client.get(document_url(document))

    assert response["Content-Type"] == "application/pdf"


def test_a_stored_name_of_no_known_type_is_only_offered_for_download(client, owner):
    document = make_document(owner)
    name = private_storage().save("documents/old.html", ContentFile(b"<script>alert(1)</script>"))
    Document.objects.filter(pk=document.pk).update(file=name)
    client.force_login(owner)

    response = client.get(document_url(document))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_owner_gets_the_thumbnail(client, owner):
    document = make_document(owner)
    client.force_login(owner)

    response = client.get(thumbnail_url(document))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == read(document.thumbnail)


def test_a_pdf_has_no_thumbnail(client, owner):
    document = make_document(owner, "employment", upload=pdf_upload())
    client.force_login(owner)

    assert client.get(thumbnail_url(document)).status_code == 404


@pytest.mark.parametrize("url", [document_url, thumbnail_url])
def test_another_applicant_gets_not_found(client, owner, url):
    document = make_document(owner)
    client.force_login(make_applicant())

    assert client.get(url(document)).status_code == 404


@pytest.mark.parametrize("url", [document_url, thumbnail_url])
def test_anonymous_visitor_gets_not_found(client, owner, url):
    document = make_document(owner)

    assert client.get(url(document)).status_code == 404


@pytest.mark.parametrize("url", [document_url, thumbnail_url])
def test_reviewer_with_permission_gets_the_document(client, owner, url):
    document = registered_with(owner, make_document(owner))
    client.force_login(staff(reviewer=True))

    response = client.get(url(document))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_staff_without_review_permission_gets_not_found(client, owner):
    document = make_document(owner)
    client.force_login(staff(reviewer=False))

    assert client.get(document_url(document)).status_code == 404


def test_review_permission_without_staff_status_gets_not_found(client, owner):
    document = make_document(owner)
    applicant = make_applicant()
    applicant.user_permissions.add(Permission.objects.get(codename="review_document"))
    client.force_login(applicant)

    assert client.get(document_url(document)).status_code == 404


def test_unknown_document_is_not_found(client, owner):
    client.force_login(owner)

    assert client.get(reverse("applications:document", args=[999_999])).status_code == 404


@pytest.mark.parametrize("url", [document_url, thumbnail_url])
def test_post_is_not_allowed(client, owner, url):
    document = make_document(owner)
    client.force_login(owner)

    assert client.post(url(document)).status_code == 405


def test_attack_posted_to_the_upload_form_stores_nothing(client, owner):
    """The same refusal through the page: the applicant reads why, nothing is kept."""
    plan = make_plan()
    client.force_login(owner)
    before = stored_files()

    response = client.post(
        reverse("applications:upload", args=[plan.pk]),
        {"upload_id_front": upload("bomb.png", png_declaring(20_000, 20_000))},
        follow=True,
    )

    assert response.status_code == 200
    assert "图片尺寸过大" in response.content.decode()
    assert Document.objects.count() == 0
    assert stored_files() == before
