"""rentcenter/media.py: public /media/ as Django serves it locally (SERVE_MEDIA), with the type
a stored name's extension gives, nosniff and a sandbox (issue #10, finding 1)."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from rentcenter import media
from tests.factories import image_bytes, pdf_bytes

HTML = b"%PDF-1.4\n<html><script>fetch('/admin/accounts/user/')</script></html>"


@pytest.fixture
def stored():
    """Save a file in public storage under `name`; return its /media/ URL."""
    names = []

    def save(name: str, content: bytes) -> str:
        names.append(default_storage.save(name, ContentFile(content)))
        return default_storage.url(names[-1])

    yield save
    for name in names:
        default_storage.delete(name)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("announcements/notice.pdf", pdf_bytes(), "application/pdf"),
        ("pictures/large/photo.jpg", image_bytes(), "image/jpeg"),
        ("pictures/large/photo.JPEG", image_bytes(), "image/jpeg"),
        ("pictures/large/layout.png", image_bytes(fmt="PNG"), "image/png"),
        ("pictures/large/photo.webp", image_bytes(fmt="WEBP"), "image/webp"),
    ],
    ids=["pdf", "jpg", "JPEG", "png", "webp"],
)
def test_upload_is_served_with_the_type_of_its_extension(
    client, stored, name, content, content_type
):
    response = client.get(stored(name, content))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.get("Content-Disposition", "inline").startswith("inline")
    assert b"".join(response.streaming_content) == content


def test_pdf_gets_a_sandbox_its_viewer_can_draw_in(client, stored):
    response = client.get(stored("announcements/notice.pdf", pdf_bytes()))

    assert response["Content-Security-Policy"] == "sandbox"


def test_image_gets_a_sandbox_that_loads_nothing(client, stored):
    response = client.get(stored("pictures/large/photo.jpg", image_bytes()))

    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    "name",
    [
        "announcements/form.html",
        "announcements/form.htm",
        "announcements/image.svg",
        "announcements/page.xhtml",
        "announcements/no-extension",
        "announcements/notes.txt",
    ],
)
def test_any_other_file_is_only_offered_for_download(client, stored, name):
    """Files stored before the rules (form.html of the finding) never render on the site."""
    response = client.get(stored(name, HTML))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_compressed_name_is_not_served_with_a_content_encoding(client, stored):
    response = client.get(stored("announcements/page.html.gz", b"\x1f\x8b compressed"))

    assert "Content-Encoding" not in response
    assert response["Content-Type"] == "application/octet-stream"


def test_missing_file_is_not_found(client, db):
    assert client.get("/media/announcements/missing.pdf").status_code == 404


def test_a_folder_is_not_listed(client, stored):
    stored("announcements/notice.pdf", pdf_bytes())

    assert client.get("/media/announcements/").status_code == 404


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a/b/c.pdf", "application/pdf"),
        ("c.PDF", "application/pdf"),
        ("c.pdf.html", "application/octet-stream"),
        ("c.html.pdf", "application/pdf"),
        (".pdf", "application/octet-stream"),
    ],
)
def test_type_comes_from_the_last_extension_only(name, content_type):
    assert media.content_type_for(name) == content_type
