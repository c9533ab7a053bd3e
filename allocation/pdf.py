"""选房确认书: the printable A4 confirmation of a chosen home.

Rendered as the record's PDF is (applications/pdf.py: WeasyPrint, the cut-down Noto CJK fonts),
kept per content in private storage, so a second download is a stored file. It names the
entrant (their own document: name and masked ID number as on screen), the home, its rent and
the 签约 deadline, and carries a QR code to the public verification page, which says whether
the confirmation is genuine and its state (已选房 / 已签约 / 已释放) without any personal data.
"""

import hashlib

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from allocation.models import Choice
from applications import pdf
from rentcenter.dates import format_when
from rentcenter.storage import private_storage

STORE = "confirmation-pdfs"


def verification_url(choice: Choice) -> str:
    # SITE_URL, never the request's Host header: a printout must point at the real site.
    return settings.SITE_URL + reverse("allocation:verify", args=[choice.verification_code])


def confirmation_pdf(choice: Choice) -> bytes:
    url = verification_url(choice)
    registration = choice.recheck.registration
    html = render_to_string(
        "allocation/confirmation_pdf.html",
        {
            "choice": choice,
            "home": choice.home,
            "registration": registration,
            "info": registration.info,
            "entry": choice.recheck.entry,
            "verification_url": url,
            "qr": segno.make(url, error="m").svg_data_uri(scale=3, border=2),
            "generated_at": pdf.GENERATED_AT,
            "font_faces": pdf.font_faces(),
        },
    )
    digest = hashlib.sha256(html.encode()).hexdigest()[:24]
    name = f"{STORE}/{choice.number}/{digest}.pdf"
    storage = private_storage()
    if storage.exists(name):
        with storage.open(name, "rb") as stored:
            return stored.read()
    content = pdf.render_pdf(html.replace(pdf.GENERATED_AT, format_when(timezone.now())))
    storage.save(name, ContentFile(content))
    return content
