"""导出 PDF: the printable A4 record of a registration (manual 6.1).

Rendered by WeasyPrint from an HTML template with the Noto CJK fonts (fonts-noto-cjk). The ID
number is masked as on screen. A QR code leads to the public verification page, which confirms
that the record exists and shows its progress, without any personal data, so whoever is handed
a printout (an employer, a landlord's office) can check it is genuine and current.
"""

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML

from applications.models import Registration


def verification_url(registration: Registration) -> str:
    # SITE_URL, never the request's Host header: a printout must point at the real site.
    return settings.SITE_URL + reverse("applications:verify", args=[registration.verification_code])


def record_pdf(registration: Registration) -> bytes:
    url = verification_url(registration)
    qr = segno.make(url, error="m").svg_data_uri(scale=3, border=2)
    html = render_to_string(
        "applications/record_pdf.html",
        {
            "registration": registration,
            "info": registration.info,
            "events": registration.events.all(),
            "verification_url": url,
            "qr": qr,
            "generated_at": timezone.localtime(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
