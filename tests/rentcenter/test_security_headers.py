"""Every HTML page carries the browser-side defences (issue #10, finding 6): a
Content-Security-Policy that allows only the site's own script and style files, a
Permissions-Policy that turns off what the site never uses, nosniff, no framing and a referrer
policy. Cached public pages get them too, and files that set their own sandbox keep it."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import make_plan, make_project, make_staff, make_user

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def assert_defended(response) -> None:
    assert response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    features = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in features
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/accounts/register/", "/admin/login/", "/no-such-page/"]
)
def test_pages_of_anonymous_visitors(client, url):
    assert_defended(client.get(url))


def test_public_pages_fresh_and_from_the_cache(client):
    plan = make_plan(projects=[make_project()])
    project = plan.projects.first()
    for url in ["/", f"/projects/{project.pk}/"]:
        first = Client().get(url)
        again = Client().get(url)  # no cookie: answered by the page cache
        assert first.status_code == again.status_code == 200
        assert_defended(first)
        assert_defended(again)


def test_pages_of_signed_in_applicants_and_staff():
    applicant = Client()
    applicant.force_login(make_user())
    assert_defended(applicant.get("/accounts/profile/"))
    staff = Client()
    staff.force_login(make_staff(superuser=True))
    assert_defended(staff.get("/admin/"))
    assert_defended(staff.get("/admin/applications/registration/"))


def test_templates_hold_no_inline_script_style_or_handler():
    """What the policy would refuse is not written in the first place. The PDFs' templates (the
    record, the 选房确认书) are read by WeasyPrint on the server, never by a browser."""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        if template.name in ("record_pdf.html", "confirmation_pdf.html"):
            continue
        text = template.read_text(encoding="utf-8")
        for needle in ("<style", " style=", "<script>", " onclick=", " onload=", "javascript:"):
            if needle in text:
                offenders.append(f"{template.relative_to(TEMPLATES)}: {needle.strip()}")
        offenders += [
            f"{template.relative_to(TEMPLATES)}: inline <script>"
            for chunk in text.split("<script")[1:]
            if "src=" not in chunk.split(">", 1)[0]
        ]
    assert offenders == []
