"""Accepting an applicant's uploaded document, or refusing it with a reason they understand.

Nothing is trusted from the upload's name or declared type: the content decides. Images must
decode fully as JPEG or PNG within the pixel limit, and are stored re-encoded by Pillow, so
what is kept carries no metadata and no bytes the applicant's device appended. A photo
straight from a phone (up to 20 MB) is accepted and stored scaled down, legible, within 3 MB.
PDFs (accepted for contracts and certificates) are read by a real parser and stored as
rewritten by rentcenter.pdfs, without scripts, actions, embedded files or forms. An image with
HTML or script markup outside its compressed pixels (headers, comments, after its end) is
refused outright: such polyglots exist to be run by a browser. A refused upload stores nothing.
"""

import hashlib
import io
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Sum
from PIL import Image

from applications.models import Document, DocumentKind
from rentcenter import images, pdfs

MB = 1024 * 1024
# What a phone's camera produces: 3–12 MB for a 12–50 megapixel JPEG (issue 16: an 8.7 MB photo
# was refused at 5 MB). Photos are stored scaled down (below), so this bounds the upload only.
MAX_DOCUMENT_BYTES = 20 * MB
# PDFs are stored as rewritten, at their own size: they stay at 5 MB (rentcenter/pdfs.py).
MAX_PDF_BYTES = 5 * MB
MAX_APPLICANT_BYTES = 30 * MB
# Removed documents stay stored (a submitted version may use them), so what one applicant may
# store in all is capped too: room to replace every document twice, not an open file store.
MAX_APPLICANT_STORED_BYTES = 3 * MAX_APPLICANT_BYTES
DOCUMENT_IMAGE_FORMATS = frozenset({"JPEG", "PNG"})
# Photos of documents are stored with their longest side at most 2560 px: an A4 page filling
# the frame is then read at about 220 dpi (2560 px over 11.7 in), where 8-point print is some
# 20 px tall, and an ID card photographed at arm's length keeps its 0.5 mm digits sharp. JPEG at
# quality 85 keeps the edges of letters clean (the ringing of lower qualities blurs thin
# strokes of 汉字): a grainy 12 MB test photo (tests/factories.phone_photo) is stored in 1.8 MB,
# where 3508 px at quality 90 (A4 at 300 dpi, the earlier rule) took 4.9 MB.
MAX_DOCUMENT_SIDE = 2560
JPEG_QUALITY = 85
# What one stored photo may take. A grainy low-light photo can exceed it at the settings above;
# it is then encoded again at lower quality and size, legible still, and refused only if even
# 1600 px at quality 65 exceeds it (no photo of a document does: pure noise would).
MAX_STORED_IMAGE_BYTES = 3 * MB
SMALLER = ((MAX_DOCUMENT_SIDE, 75), (2048, 70), (1600, 65))
# A 50 megapixel phone photo is decoded at half its size (JPEG's own scaled decoding), never at
# full size: what a worker holds in memory stays under 40 megapixels whatever the camera.
MAX_JPEG_PIXELS = 160_000_000
PDF_KINDS = frozenset(
    {
        DocumentKind.EMPLOYMENT,
        DocumentKind.CONTRIBUTIONS,
        DocumentKind.MARRIAGE,
        DocumentKind.EDUCATION,
        DocumentKind.OTHER,
    }
)
# A tag name ends where HTML's tokenizer ends it (space, /, >): a mere word boundary also
# matched compressed pixels, where "<svg" and a stray byte refused about one 5 MB photo in 300.
# Compressed pixels are not searched at all (images.outside_pixels): they are re-encoded, and
# chance bytes in a 12 MB photo still made a "<svg " about once in a thousand.
MARKUP = re.compile(
    rb"<\s*(script|html|svg|iframe|object|embed|body)[\s/>]|<!doctype\s+html|javascript:", re.I
)


@dataclass(frozen=True)
class Stored:
    content: bytes
    content_type: str
    extension: str
    thumbnail: bytes | None


def accepted_types(kind: str) -> str:
    return "JPG、PNG 或 PDF" if kind in PDF_KINDS else "JPG 或 PNG"


def used_bytes(owner_id: int, *, document_ids: list[int]) -> int:
    """What the applicant's current documents take (the 30 MB budget counts those in use)."""
    total = Document.objects.filter(owner_id=owner_id, pk__in=document_ids).aggregate(Sum("size"))
    return total["size__sum"] or 0


def _encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, optimize=True, **options)
    return buffer.getvalue()


def _reencode(content: bytes) -> Stored:
    """The photo upright, scaled down to MAX_DOCUMENT_SIDE and encoded within
    MAX_STORED_IMAGE_BYTES, with nothing of the file but its pixels."""
    image = images.open_image(
        io.BytesIO(content),
        formats=DOCUMENT_IMAGE_FORMATS,
        max_jpeg_pixels=MAX_JPEG_PIXELS,
        draft_side=MAX_DOCUMENT_SIDE,
    )
    source_format = image.format
    clean = images.upright(image)
    image.close()
    clean.thumbnail((MAX_DOCUMENT_SIDE, MAX_DOCUMENT_SIDE), Image.Resampling.LANCZOS)
    thumbnail = images.jpeg_rendition(clean, images.THUMBNAIL).read()
    if source_format == "PNG":  # screenshots and scans of text stay lossless when they fit
        png = _encoded(clean, "PNG")
        if len(png) <= MAX_STORED_IMAGE_BYTES:
            return Stored(png, "image/png", "png", thumbnail)
    jpeg = _encoded(clean, "JPEG", quality=JPEG_QUALITY)
    for side, quality in SMALLER:
        if len(jpeg) <= MAX_STORED_IMAGE_BYTES:
            break
        clean.thumbnail((side, side), Image.Resampling.LANCZOS)
        jpeg = _encoded(clean, "JPEG", quality=quality)
    if len(jpeg) > MAX_STORED_IMAGE_BYTES:
        raise ValidationError(
            "照片无法压缩到 3 MB 以内，请在光线充足处重新拍摄证件后上传。", code="too_detailed"
        )
    return Stored(jpeg, "image/jpeg", "jpg", thumbnail)


def inspect(upload: UploadedFile, *, kind: str) -> Stored:
    """What would be stored for this upload, or ValidationError saying why it is refused."""
    too_large = ValidationError(
        "单个文件不能超过 20 MB。手机拍摄的照片一般不会超过，请不要使用相机的“超高像素”模式，"
        "或截图后上传。",
        code="too_large",
    )
    if upload.size > MAX_DOCUMENT_BYTES:
        raise too_large
    upload.seek(0)
    content = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise too_large
    if content.startswith(b"%PDF-"):
        if kind not in PDF_KINDS:
            raise ValidationError("此项材料请上传 JPG 或 PNG 格式的照片。", code="pdf_not_allowed")
        if len(content) > MAX_PDF_BYTES:
            raise ValidationError(
                "PDF 文件不能超过 5 MB，可改为上传各页的照片（每张不超过 20 MB，会自动压缩）。",
                code="pdf_too_large",
            )
        # What markup a PDF holds stays inside its objects, and the file is served as a PDF.
        return Stored(pdfs.clean(content), "application/pdf", "pdf", None)
    if MARKUP.search(images.outside_pixels(content)):
        raise ValidationError(
            f"文件内容异常，请上传证件的照片或扫描件（{accepted_types(kind)} 格式）。",
            code="markup",
        )
    try:
        return _reencode(content)
    except ValidationError as error:
        if error.code == "invalid_image":
            raise ValidationError(
                f"文件不是有效的图片，请上传 {accepted_types(kind)} 格式的文件。",
                code="invalid_image",
            ) from None
        raise


def store(*, owner_id: int, kind: str, upload: UploadedFile, budget_used: int) -> Document:
    """Check the upload and save it as the owner's document; nothing is saved on refusal."""
    if kind not in DocumentKind.values:
        raise ValidationError("未知的材料类型。", code="kind")
    stored = inspect(upload, kind=kind)
    if budget_used + len(stored.content) > MAX_APPLICANT_BYTES:
        raise ValidationError(
            "上传材料总大小不能超过 30 MB，请删除不需要的文件或压缩后上传。", code="budget"
        )
    stored_before = Document.objects.filter(owner_id=owner_id).aggregate(total=Sum("size"))
    if (stored_before["total"] or 0) + len(stored.content) > MAX_APPLICANT_STORED_BYTES:
        raise ValidationError(
            f"您上传的文件已超过上限，请联系客服（{settings.SUPPORT_PHONE}）。", code="stored"
        )
    document = Document(
        owner_id=owner_id,
        kind=kind,
        original_name=_display_name(upload.name or "", stored.extension),
        content_type=stored.content_type,
        size=len(stored.content),
        sha256=hashlib.sha256(stored.content).hexdigest(),
    )
    document.file.save(f"upload.{stored.extension}", ContentFile(stored.content), save=False)
    if stored.thumbnail:
        document.thumbnail.save("thumbnail.jpg", ContentFile(stored.thumbnail), save=False)
    document.save()
    return document


def _display_name(name: str, extension: str) -> str:
    """The device's file name, for showing back only: path, control and quote characters out."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(char for char in base if char.isprintable() and char not in '"<>')[:100]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or '材料'}.{extension}"
