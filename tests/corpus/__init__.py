"""A corpus of malformed and hostile uploads, built in code (no binary files are kept).

Each sample says which upload endpoints may accept it, once sanitised: applicants' documents
(DOCUMENT: JPEG, PNG, PDF; the markup scan refuses images carrying HTML), announcement
attachments (ATTACHMENT: PDF) and project or floor plan photos (PHOTO: JPEG, PNG, WebP). Every
other endpoint must refuse it cleanly. The tests that post every sample to every endpoint are
tests/applications/test_upload_corpus.py, tests/plans/test_upload_corpus.py and
tests/projects/test_upload_corpus.py; `python -m tests.corpus DIR` writes the files out, to try
them by hand in a browser.
"""

import functools
import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image

from tests.corpus import pdfs as crafted

DOCUMENT, ATTACHMENT, PHOTO = "document", "attachment", "photo"
PDF_ENDPOINTS = frozenset({DOCUMENT, ATTACHMENT})
IMAGE_ENDPOINTS = frozenset({DOCUMENT, PHOTO})
NOWHERE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Sample:
    name: str  # the file name it is sent under
    build: Callable[[], bytes]
    accepted_by: frozenset[str]

    @functools.cached_property
    def content(self) -> bytes:
        return self.build()


def image(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#3b7dd8").save(buffer, fmt, **options)
    return buffer.getvalue()


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<script>alert(document.cookie)</script>")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a hundred bytes whose header declares width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def png_with_text(text: str) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return image("PNG", pnginfo=info)


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretPhone"
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)})
    return image(exif=exif)


def pdf_with_html_comment() -> bytes:
    """An HTML page in a comment line after the header: every offset after it is wrong, so
    the parser rebuilds the cross-reference table."""
    content = crafted.honest()
    header, rest = content.split(b"\n", 1)
    return header + b"\n%<html><script>alert(document.cookie)</script></html>\n" + rest


HTML_PAGE = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SCRIPT = b"<script>alert(document.cookie)</script>"

SAMPLES = [
    Sample("empty.pdf", lambda: b"", NOWHERE),
    Sample("empty.jpg", lambda: b"", NOWHERE),
    Sample("notes.jpg", lambda: b"just some text, not a photo\n" * 20, NOWHERE),
    Sample("page.pdf", lambda: HTML_PAGE, NOWHERE),
    Sample(
        "photo.png",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT + b"</svg>",
        NOWHERE,
    ),
    # Issue #10, finding 1: an HTML page that begins like a PDF.
    Sample(
        "form.html",
        lambda: b"%PDF-1.4\n<html><body>" + SCRIPT + b"</body></html>\n%%EOF\n",
        NOWHERE,
    ),
    Sample("after-eof.pdf", lambda: crafted.honest() + HTML_PAGE + b"\n%%EOF\n", PDF_ENDPOINTS),
    Sample("html-comment.pdf", pdf_with_html_comment, PDF_ENDPOINTS),
    Sample("jpeg-comment.jpg", lambda: image(comment=SCRIPT), frozenset({PHOTO})),
    Sample("png-text.png", lambda: png_with_text(SCRIPT.decode()), frozenset({PHOTO})),
    Sample("script-after.jpg", lambda: image() + SCRIPT, frozenset({PHOTO})),
    Sample("jpeg-zip.jpg", lambda: image() + zip_archive(), frozenset({PHOTO})),
    Sample("gif-zip.gif", lambda: image("GIF") + zip_archive(), NOWHERE),
    Sample("truncated.jpg", lambda: image(size=(400, 300))[:400], NOWHERE),
    Sample("truncated.png", lambda: image("PNG", size=(400, 300))[:300], NOWHERE),
    Sample("truncated.pdf", lambda: crafted.honest(pages=3)[:500], NOWHERE),
    Sample("pixel-bomb.png", lambda: png_declaring(20_000, 20_000), NOWHERE),
    Sample("object-stream-bomb.pdf", crafted.object_stream_bomb, NOWHERE),
    # Issue 17, finding 8: 5 KB that inflate to 2 GiB in a reviewer's PDF viewer.
    Sample("content-stream-bomb.pdf", crafted.content_stream_bomb, NOWHERE),
    Sample("page-tree-bomb.pdf", crafted.page_tree_bomb, NOWHERE),
    Sample("101-pages.pdf", lambda: crafted.honest(pages=101), NOWHERE),
    Sample("deep-nesting.pdf", crafted.deep_nesting, NOWHERE),
    Sample("password.pdf", lambda: crafted.encrypted(user_password="secret"), NOWHERE),
    Sample("permissions.pdf", lambda: crafted.encrypted(user_password=""), PDF_ENDPOINTS),
    Sample("hidden-from-scan.pdf", crafted.hidden_from_byte_scan, PDF_ENDPOINTS),
    *(
        Sample(
            f"{name.replace(' ', '-').replace('/', '')}.pdf",
            functools.partial(crafted.active, name),
            PDF_ENDPOINTS,
        )
        for name in crafted.ACTIVE
    ),
    Sample("png-named.pdf", lambda: image("PNG"), IMAGE_ENDPOINTS),
    Sample("pdf-named.jpg", crafted.honest, PDF_ENDPOINTS),
    Sample("jpeg-named.png", image, IMAGE_ENDPOINTS),
    Sample("photo.webp", lambda: image("WEBP"), frozenset({PHOTO})),
    Sample("gps.jpg", jpeg_with_gps, IMAGE_ENDPOINTS),
]
CORPUS = {sample.name: sample for sample in SAMPLES}
assert len(CORPUS) == len(SAMPLES), "sample names must be unique"


# What the tests compare before and after a post ------------------------------------------------


def stored_files() -> dict[str, str]:
    """Every file in public and private storage, with its SHA-256."""
    files = {}
    for root in (Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)):
        if root.exists():
            for path in root.rglob("*"):
                if path.is_file():
                    files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


ALLOWED_EXTENSIONS = {".jpg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".pdf": "PDF"}


def assert_sanitised(path: Path) -> None:
    """A newly stored file is named by its content, and that content is harmless."""
    kind = ALLOWED_EXTENSIONS.get(path.suffix)
    assert kind, f"stored under an extension of its own: {path.name}"
    content = path.read_bytes()
    if kind == "PDF":
        crafted.assert_inert(content)
        return
    with Image.open(io.BytesIO(content)) as picture:
        assert picture.format == kind
        picture.load()
    if "originals" not in path.parts:  # all but photos' private originals are re-encoded
        assert b"<script" not in content
        assert b"SecretPhone" not in content
        assert b"PK\x03\x04" not in content  # no ZIP archive rides along
