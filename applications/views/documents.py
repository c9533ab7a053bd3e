"""Serving uploaded documents to their owner and to reviewers, never by public URL; each time
a reviewer opens one, a 查看记录 for its owner (accounts/access_log.py)."""

import math
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import access_log
from applications.access import ReadsThrottled, document_or_404
from applications.models import Document
from rentcenter import media


def _serve(file, *, filename: str) -> FileResponse:
    """The file with the type its stored name gives (never the type the row says), sandboxed."""
    response = FileResponse(file.open("rb"))
    media.protect(response, content_type=media.content_type_for(file.name))
    # RFC 6266 / 5987: the UTF-8 name for browsers, an ASCII fallback for the rest.
    if response.headers["Content-Type"] != media.DOWNLOAD_TYPE:
        response.headers["Content-Disposition"] = _disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _ascii(text: str) -> str:
    return "".join(char for char in text if " " <= char <= "~" and char not in '"\\')


def _disposition(filename: str) -> str:
    # The fallback keeps printable ASCII; a name that was all Chinese (身份证.jpg) would
    # otherwise fall back to ".jpg", a hidden file once saved.
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = extension, ""
    fallback = f"{_ascii(stem).strip() or 'document'}{dot}{_ascii(extension)}"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _throttled(refusal: ReadsThrottled) -> HttpResponse:
    at = timezone.localtime(refusal.retry_at)
    response = HttpResponse(
        f"查看材料过于频繁，请于 {at:%H:%M} 后再试。",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(
        max(1, math.ceil((refusal.retry_at - timezone.now()).total_seconds()))
    )
    return response


def _stored_or_404(request: HttpRequest, document_id: int) -> Document:
    doc = document_or_404(request, document_id)
    if not doc.has_files:  # past its retention, or its owner closed the account
        raise Http404
    return doc


@require_GET
def document(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        doc = _stored_or_404(request, document_id)
    except ReadsThrottled as refusal:
        return _throttled(refusal)
    target = f"{doc.get_kind_display()}（材料编号 {doc.pk}）"
    access_log.record(
        request, subject_id=doc.owner_id, action=access_log.Action.DOCUMENT, target=target
    )
    return _serve(doc.file, filename=doc.original_name)


@require_GET
def thumbnail(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        doc = _stored_or_404(request, document_id)
    except ReadsThrottled as refusal:
        return _throttled(refusal)
    if not doc.thumbnail:
        raise Http404
    # The thumbnails of one applicant's documents are one look (a review page shows them all).
    access_log.record(
        request, subject_id=doc.owner_id, action=access_log.Action.DOCUMENT, target="材料缩略图"
    )
    return _serve(doc.thumbnail, filename=f"thumbnail-{doc.pk}.jpg")
