"""Serving uploaded files with the type their stored name gives, never one a browser guesses.

Every upload is stored under a random name whose extension its checked content decided: photo
renditions `.jpg`, announcement attachments `.pdf`, applicants' documents `.jpg`, `.png` or
`.pdf`. Served files carry the type of that extension and `X-Content-Type-Options: nosniff`,
so no upload can become an HTML page of the site's origin (issue #10: an "attachment" named
form.html was served as text/html and its script read /admin/ with a superuser's cookies). A
`sandbox` policy makes whatever a browser renders from an upload (a PDF in its viewer, an
image) a document of an opaque origin, without the site's cookies or storage (CSP Level 3,
"sandbox"). PDFs get `sandbox` alone: Chromium's PDF viewer draws with inline styles, which a
`default-src 'none'` would block. A stored name with any other extension (files kept from
before these rules) is only offered for download.

Django serves public /media/ this way with SERVE_MEDIA (local use); README's nginx block sends
the same headers in production. Private documents are served by applications.views.documents,
with the same headers.
"""

from pathlib import PurePosixPath

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.views.static import serve

UPLOAD_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
DOWNLOAD_TYPE = "application/octet-stream"


def content_type_for(name: str) -> str:
    """The type a stored upload is served with, from its extension alone."""
    return UPLOAD_TYPES.get(PurePosixPath(name).suffix.lower(), DOWNLOAD_TYPE)


def sandbox_policy(content_type: str) -> str:
    if content_type == "application/pdf":
        return "sandbox"
    return "default-src 'none'; sandbox"


def protect(response: HttpResponseBase, *, content_type: str) -> HttpResponseBase:
    """Give a response serving an upload its type and the headers that keep it inert."""
    response.headers["Content-Type"] = content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = sandbox_policy(content_type)
    if content_type == DOWNLOAD_TYPE:
        response.headers["Content-Disposition"] = "attachment"
    return response


def public(request: HttpRequest, path: str) -> HttpResponseBase:
    """/media/<path> with SERVE_MEDIA: the public renditions and attachments, as nginx would."""
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    # static.serve names a compressed file's encoding (.gz, .br); uploads are never sent so.
    del response.headers["Content-Encoding"]
    return protect(response, content_type=content_type_for(path))
