"""Accepting an applicant's uploaded document, or refusing it with a reason they understand.

Nothing is trusted from the upload's name or declared type: the content decides. Images must
decode fully as JPEG or PNG within the pixel limit, and are stored re-encoded by Pillow, so
what is kept carries no metadata and no bytes the applicant's device appended. PDFs (accepted
for contracts and certificates) are read by a real parser and stored as rewritten by
rentcenter.pdfs, without scripts, actions, embedded files or forms. An image with HTML or script
markup anywhere is refused outright: such polyglots exist to be run by a browser. A refused
upload stores nothing.
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

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_APPLICANT_BYTES = 30 * 1024 * 1024
# Removed documents stay stored (a submitted version may use them), so what one applicant may
# store in all is capped too: room to replace every document twice, not an open file store.
MAX_APPLICANT_STORED_BYTES = 3 * MAX_APPLICANT_BYTES
# Legible scans of A4 at 300 dpi fit in 3508 px; larger photos are scaled down to this.
MAX_DOCUMENT_SIDE = 3508
DOCUMENT_IMAGE_FORMATS = frozenset({"JPEG", "PNG"})
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


def _reencode(content: bytes) -> Stored:
    image = images.open_image(io.BytesIO(content), formats=DOCUMENT_IMAGE_FORMATS)
    keep_png = image.format == "PNG"
    clean = images.upright(image)
    clean.thumbnail((MAX_DOCUMENT_SIDE, MAX_DOCUMENT_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if keep_png:  # scans of text stay lossless
        clean.save(buffer, "PNG", optimize=True)
    else:
        clean.save(buffer, "JPEG", quality=90, optimize=True)
    thumbnail = images.jpeg_rendition(image, images.THUMBNAIL).read()
    if keep_png:
        return Stored(buffer.getvalue(), "image/png", "png", thumbnail)
    return Stored(buffer.getvalue(), "image/jpeg", "jpg", thumbnail)


def inspect(upload: UploadedFile, *, kind: str) -> Stored:
    """What would be stored for this upload, or ValidationError saying why it is refused."""
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError("单个文件不能超过 5 MB，请压缩后重新上传。", code="too_large")
    upload.seek(0)
    content = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ValidationError("单个文件不能超过 5 MB，请压缩后重新上传。", code="too_large")
    if content.startswith(b"%PDF-"):
        if kind not in PDF_KINDS:
            raise ValidationError("此项材料请上传 JPG 或 PNG 格式的照片。", code="pdf_not_allowed")
        # What markup a PDF holds stays inside its objects, and the file is served as a PDF.
        return Stored(pdfs.clean(content), "application/pdf", "pdf", None)
    if MARKUP.search(content):
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
