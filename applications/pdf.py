"""导出 PDF: the printable A4 record of a registration (manual 6.1).

Rendered by WeasyPrint from an HTML template with the Noto CJK fonts (fonts-noto-cjk). The ID
number is masked as on screen. A QR code leads to the public verification page, which confirms
that the record exists and shows its progress, without any personal data, so whoever is handed
a printout (an employer, a landlord's office) can check it is genuine and current.
"""

import hashlib
import threading
from pathlib import Path

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from applications.models import Registration
from rentcenter.dates import format_when
from rentcenter.storage import private_storage

# Where rendered records are kept (private storage): one file per registration and content.
STORE = "record-pdfs"
GENERATED_AT = "\x00generated-at\x00"

# Noto Sans CJK SC cut down to GB 2312 (the 7,445 characters of everyday Chinese) with ASCII:
# WeasyPrint subsets the font it embeds for every document, and a font of 65,535 glyphs costs
# most of a record's rendering time. Characters outside it (a rare character in a name) come
# from the full font, which the record names next. Built by `manage.py build_pdf_fonts`.
RECORD_FONTS = {"normal": "record-sans-regular.otf", "bold": "record-sans-bold.otf"}

# Fonts are found and loaded once per process and reused: the first export of a worker pays
# for it, later ones do not. WeasyPrint's layout is not safe to share between threads.
_fonts: FontConfiguration | None = None
_rendering = threading.Lock()


def verification_url(registration: Registration) -> str:
    # SITE_URL, never the request's Host header: a printout must point at the real site.
    return settings.SITE_URL + reverse("applications:verify", args=[registration.verification_code])


def record_pdf(registration: Registration) -> bytes:
    """The record as a PDF, rendered once per content and kept: an applicant who exports again
    (or again after a page reload) gets the stored file; a new decision, a new reason or a
    renamed project changes the content and makes a new one. The printed 生成时间 is when that
    content was first rendered."""
    html = _record_html(registration)
    digest = hashlib.sha256(html.encode()).hexdigest()[:24]
    name = f"{STORE}/{registration.number}/{digest}.pdf"
    storage = private_storage()
    if storage.exists(name):
        with storage.open(name, "rb") as stored:
            return stored.read()
    generated_at = format_when(timezone.now())
    content = render_pdf(html.replace(GENERATED_AT, generated_at))
    storage.save(name, ContentFile(content))
    return content


def _record_html(registration: Registration) -> str:
    url = verification_url(registration)
    qr = segno.make(url, error="m").svg_data_uri(scale=3, border=2)
    return render_to_string(
        "applications/record_pdf.html",
        {
            "registration": registration,
            "info": registration.info,
            "events": registration.events.all(),
            "corrections": registration.documents_to_correct(),
            "verification_url": url,
            "qr": qr,
            "generated_at": GENERATED_AT,
            "font_faces": _font_faces(),
        },
    )


def fonts_dir() -> Path:
    return Path(settings.VAR_DIR) / "fonts"


def _font_faces() -> list[tuple[str, str]]:
    """(weight, file URL) of the cut-down fonts that have been built."""
    faces = [(weight, fonts_dir() / name) for weight, name in RECORD_FONTS.items()]
    return [(weight, path.as_uri()) for weight, path in faces if path.exists()]


def font_faces() -> list[tuple[str, str]]:
    """The fonts' @font-face sources, for other documents rendered the same way (the
    选房确认书 of allocation/pdf.py)."""
    return _font_faces()


def render_pdf(html: str) -> bytes:
    global _fonts
    with _rendering:
        if _fonts is None:
            _fonts = FontConfiguration()
        document = HTML(string=html, base_url=str(settings.BASE_DIR))
        return document.write_pdf(font_config=_fonts)


def warm_up() -> None:
    """Load the fonts before the first applicant waits for them (a web worker calls this when
    it starts: deploy/gunicorn.conf.py)."""
    render_pdf(
        "<html lang='zh-CN'><body style='font-family: \"Noto Sans CJK SC\"'>"
        "<b>配租登记记录</b> 0123456789</body></html>"
    )
