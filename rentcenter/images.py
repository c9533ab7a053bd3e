"""Reading uploaded pictures safely and writing the renditions pages show.

An upload is trusted by nothing it says about itself (name, Content-Type): Pillow must recognise
the content as one of the accepted formats, the pixel count must stay under a limit checked
*before* decoding (a "pixel bomb" declares a huge size in a tiny file), and the whole image must
decode (a truncated file is refused). Renditions are re-encoded from the decoded pixels, after
applying the EXIF orientation, so no metadata (GPS position, camera serial) survives.
"""

import io
import re
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# 40 megapixels covers any phone camera (a 200 MP sensor bins to 12.5 MP by default); beyond
# that, decoding one upload would hold over 120 MB of RGB pixels in a worker.
MAX_PIXELS = 40_000_000

PHOTO_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
# The extension a stored file gets from the format Pillow found, whatever name it was sent with.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class Rendition:
    name: str
    max_side: int


THUMBNAIL = Rendition("thumbnail", 480)
LARGE = Rendition("large", 1600)


@contextmanager
def strict_decoding() -> Iterator[None]:
    """Make Pillow refuse truncated files while an upload is read.

    PIL.ImageFile.LOAD_TRUNCATED_IMAGES is process-wide, and WeasyPrint turns it on when it is
    imported (weasyprint/images.py), so after the first PDF a worker would silently accept a
    truncated upload, grey-filled. Pillow reads the switch at each decode; uploads are decoded
    with it off, then it is put back for the PDFs.
    """
    tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


def open_image(
    file: IO[bytes],
    *,
    formats: frozenset[str] = PHOTO_FORMATS,
    max_jpeg_pixels: int = MAX_PIXELS,
    draft_side: int | None = None,
) -> Image.Image:
    """Return the fully decoded image, or raise ValidationError with a message for the user.

    With `draft_side`, a JPEG larger than needed for that longest side is decoded at 1/2, 1/4
    or 1/8 of its size (libjpeg's scaled decoding: never less than `draft_side`), so a JPEG may
    declare up to `max_jpeg_pixels` and still be held in memory at MAX_PIXELS at most."""
    allowed = "、".join(FORMAT_NAMES.get(name, name) for name in sorted(formats))
    not_an_image = ValidationError(
        f"文件不是有效的图片，请上传 {allowed} 格式的照片。", code="invalid_image"
    )

    def too_many_pixels(limit: int = MAX_PIXELS) -> ValidationError:
        return ValidationError(
            f"图片尺寸过大，请上传 {pixels_in_words(limit)}像素以内的照片。",
            code="too_many_pixels",
        )

    file.seek(0)
    try:
        with warnings.catch_warnings(), strict_decoding():
            # Our own limit, checked from the header below, is lower than Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as probe:
                if probe.format not in formats:
                    raise not_an_image
                width, height = probe.size
                scaled = probe.format == "JPEG" and draft_side is not None
                limit = max_jpeg_pixels if scaled else MAX_PIXELS
                if width * height > limit:
                    raise too_many_pixels(limit)
                probe.verify()
            file.seek(0)
            image = Image.open(file)
            if scaled:
                image.draft(image.mode, (draft_side, draft_side))
                if image.size[0] * image.size[1] > MAX_PIXELS:
                    raise too_many_pixels(limit)
            image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    finally:
        file.seek(0)
    return image


def outside_pixels(content: bytes) -> bytes:
    """An image file without its compressed pixels: the headers, metadata, comments and anything
    after its end, where a polyglot hides markup. Compressed pixels look random, so searching
    them for a tag refused about one 12 MB phone photo in a thousand for a chance "<svg ".
    A file whose structure cannot be followed is returned whole: searched all through."""
    if content.startswith(b"\xff\xd8"):
        return _jpeg_outside_scans(content) or content
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_outside_idat(content) or content
    return content


# More segments or chunks than a real photo has is not followed (made-up files of tiny
# segments would cost seconds of a worker); such a file is searched whole instead.
MAX_SEGMENTS = 4096
_FILL = re.compile(rb"\xff+")
_MARKER_AFTER_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def _jpeg_outside_scans(content: bytes) -> bytes | None:
    """Every marker segment of a JPEG, and what follows its end (EOI), without the entropy-coded
    data after each start of scan (ITU T.81 B.1.1: 0xFF in that data is followed by 0x00 or a
    restart marker, so the next 0xFF with anything else is the next marker)."""
    kept = [content[:2]]
    at = 2
    for _ in range(MAX_SEGMENTS):
        fill = _FILL.match(content, at)
        if fill is None or fill.end() >= len(content):
            return None
        at = fill.end() - 1  # the last 0xFF of any fill bytes, then the marker
        marker = content[at + 1]
        if marker == 0xD9:  # end of image: everything after it is kept
            kept.append(content[at:])
            return b"".join(kept)
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            at += 2
            continue
        length = int.from_bytes(content[at + 2 : at + 4], "big")
        if length < 2 or at + 2 + length > len(content):
            return None
        kept.append(content[at : at + 2 + length])
        at += 2 + length
        if marker == 0xDA:  # start of scan: skip the compressed pixels to the next marker
            following = _MARKER_AFTER_SCAN.search(content, at)
            if following is None:
                return None
            at = following.start()
    return None  # no end of image, or too many segments


def _png_outside_idat(content: bytes) -> bytes | None:
    """Every chunk of a PNG (ISO/IEC 15948 §5.3) but the data of its IDAT chunks, and what
    follows IEND."""
    kept = [content[:8]]
    at = 8
    for _ in range(MAX_SEGMENTS * 4):  # IDAT chunks of 8 KB: 128 MB of pixels
        if at + 8 > len(content):
            return None
        length = int.from_bytes(content[at : at + 4], "big")
        kind = content[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(content):
            return None
        kept.append(content[at : at + 8] if kind == b"IDAT" else content[at:end])
        at = end
        if kind == b"IEND":
            kept.append(content[at:])
            return b"".join(kept)
    return None


def pixels_in_words(count: int) -> str:
    """40_000_000 → "4000 万", 160_000_000 → "1.6 亿"."""
    return f"{count / 100_000_000:g} 亿" if count >= 100_000_000 else f"{count // 10_000} 万"


def upright(image: Image.Image) -> Image.Image:
    """The image as the camera held it, in RGB, with every piece of metadata left behind."""
    oriented = ImageOps.exif_transpose(image) or image
    if oriented.mode.startswith("I"):
        # 16- and 32-bit greyscale: scale to 8 bits rather than clip every value above 255.
        high = oriented.getextrema()[1] or 1
        oriented = oriented.point(lambda value: value * 255 / high).convert("L")
    if oriented.mode in ("RGBA", "LA", "P"):
        rgba = oriented.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    pixels = oriented.convert("RGB")
    # convert() copies info, and Pillow writes info's JPEG comment and PNG colour profile into
    # what is saved from it: a comment with a phone number or a script would ride along.
    pixels.info = {}
    return pixels


def jpeg_rendition(image: Image.Image, rendition: Rendition) -> ContentFile:
    """A progressive JPEG no larger than the rendition's side, without EXIF or ICC data."""
    copy = upright(image)
    copy.thumbnail((rendition.max_side, rendition.max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
    content = ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
    content.image_size = copy.size  # type: ignore[attr-defined]
    return content


def random_name(original_name: str, *, default_extension: str = "") -> str:
    """A storage name that reveals nothing of the uploaded file's name."""
    extension = original_name.rsplit(".", 1)[-1].lower() if "." in original_name else ""
    extension = extension if extension.isalnum() and len(extension) <= 5 else default_extension
    return f"{uuid.uuid4().hex}.{extension}" if extension else uuid.uuid4().hex
