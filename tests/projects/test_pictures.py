"""rentcenter/images.py and Picture.set_image: what an upload becomes, and what is refused."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from projects.models import ProjectPhoto
from rentcenter import images
from tests.factories import image_bytes, image_upload, make_project

NOT_AN_IMAGE = "文件不是有效的图片，请上传 JPEG、PNG、WebP 格式的照片。"
TOO_MANY_PIXELS = "图片尺寸过大，请上传 4000 万像素以内的照片。"


def upload(content: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def camera_jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    """A phone photo held upright: stored sideways with orientation 6, carrying the phone's make,
    a GPS position and an ICC profile. The left half is red and the right half blue."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretPhone"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (116.0, 23.0, 17.0),
    }
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = Image.new("RGB", size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, icc_profile=icc, quality=95)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header claiming width×height pixels, followed by almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def opened(field) -> Image.Image:
    field.open("rb")
    try:
        image = Image.open(io.BytesIO(field.read()))
        image.load()
        return image
    finally:
        field.close()


@pytest.fixture
def photo(db) -> ProjectPhoto:
    return ProjectPhoto(project=make_project())


def refusal(photo: ProjectPhoto, content: bytes, name: str = "photo.jpg") -> list[str]:
    with pytest.raises(ValidationError) as error:
        photo.set_image(upload(content, name))
    assert not photo.original
    assert not photo.large
    assert not photo.thumbnail
    return error.value.messages


# What an accepted photo becomes ------------------------------------------------------------


def test_renditions_are_jpegs_without_exif_or_colour_profile(photo):
    sent = camera_jpeg()
    source = Image.open(io.BytesIO(sent))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # what must not survive
    assert "icc_profile" in source.info
    photo.set_image(upload(sent))
    photo.save()
    for field in (photo.large, photo.thumbnail):
        rendition = opened(field)
        assert rendition.format == "JPEG"
        assert dict(rendition.getexif()) == {}
        assert "exif" not in rendition.info
        assert "icc_profile" not in rendition.info
        field.open("rb")
        with field:
            assert b"SecretPhone" not in field.read()


def test_renditions_leave_the_jpeg_comment_behind(photo):
    """Pillow writes an image's comment into any JPEG saved from it unless told otherwise."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, "JPEG", comment=b"<script>owner 13800000000")
    photo.set_image(upload(buffer.getvalue()))
    photo.save()
    for field in (photo.large, photo.thumbnail):
        rendition = opened(field)
        assert "comment" not in rendition.info
        field.open("rb")
        with field:
            assert b"13800000000" not in field.read()


def test_png_renditions_leave_the_colour_profile_and_text_behind():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "13800000000")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG", icc_profile=icc, pnginfo=info)
    image = images.open_image(io.BytesIO(buffer.getvalue()))
    assert image.info["icc_profile"]

    assert images.upright(image).info == {}


def test_renditions_are_turned_upright_by_the_exif_orientation(photo):
    photo.set_image(upload(camera_jpeg(size=(64, 48))))
    photo.save()
    assert (photo.width, photo.height) == (48, 64)
    large = opened(photo.large).convert("RGB")
    assert large.size == (48, 64)
    # Orientation 6 means "turn 90° clockwise to view": the red left half comes out on top.
    top_red, _, top_blue = large.getpixel((24, 8))
    bottom_red, _, bottom_blue = large.getpixel((24, 56))
    assert top_red > 200 > top_blue
    assert bottom_blue > 200 > bottom_red
    assert opened(photo.thumbnail).size == (48, 64)


def test_renditions_are_shrunk_to_their_size_but_never_enlarged(photo):
    photo.set_image(image_upload(size=(2000, 1500)))
    photo.save()
    assert opened(photo.large).size == (1600, 1200)
    assert opened(photo.thumbnail).size == (480, 360)
    assert (photo.width, photo.height) == (1600, 1200)

    small = ProjectPhoto(project=photo.project)
    small.set_image(image_upload(size=(300, 200)))
    small.save()
    assert opened(small.large).size == (300, 200)
    assert opened(small.thumbnail).size == (300, 200)


def test_transparent_png_gets_a_white_background(photo):
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 30), (255, 0, 0, 0)).save(buffer, "PNG")
    photo.set_image(upload(buffer.getvalue(), "logo.png"))
    photo.save()
    red, green, blue = opened(photo.large).convert("RGB").getpixel((20, 15))
    assert min(red, green, blue) > 245


def test_accepts_png_and_webp(photo):
    for fmt, name in (("PNG", "plan.png"), ("WEBP", "photo.webp")):
        photo.set_image(image_upload(name, fmt=fmt, size=(50, 40)))
        assert (photo.width, photo.height) == (50, 40)


def test_original_is_kept_as_sent_in_private_storage(client, photo):
    sent = camera_jpeg()
    photo.set_image(upload(sent))
    photo.save()
    original = Path(photo.original.path)
    assert original.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not original.is_relative_to(settings.MEDIA_ROOT)
    assert original.read_bytes() == sent
    assert Path(photo.large.path).is_relative_to(settings.MEDIA_ROOT)
    # Public pictures are served; the original (with its GPS position) is not.
    assert client.get(photo.large.url).status_code == 200
    assert client.get(photo.original.url).status_code == 404


def test_storage_names_reveal_nothing_of_the_upload_name(photo):
    photo.set_image(upload(image_bytes(), "张三 身份证 13800000000.JPG"))
    photo.save()
    other = ProjectPhoto(project=photo.project)
    other.set_image(upload(image_bytes(), "张三 身份证 13800000000.JPG"))
    other.save()
    for picture in (photo, other):
        for field in (picture.original, picture.large, picture.thumbnail):
            assert "张三" not in field.name
            assert "13800000000" not in field.name
    assert photo.original.name.startswith("originals/")
    assert photo.original.name.endswith(".jpg")
    assert photo.original.name != other.original.name
    assert photo.large.name != other.large.name


@pytest.mark.parametrize(
    ("content", "name", "extension"),
    [
        (image_bytes(), "photo.html", ".jpg"),
        (image_bytes(fmt="PNG"), "layout.jpg", ".png"),
        (image_bytes(fmt="WEBP"), "photo", ".webp"),
        (image_bytes(), "photo.svg", ".jpg"),
    ],
    ids=["JPEG named .html", "PNG named .jpg", "WebP without extension", "JPEG named .svg"],
)
def test_original_is_stored_under_the_extension_of_its_content(photo, content, name, extension):
    photo.set_image(upload(content, name))
    photo.save()

    assert photo.original.name.endswith(extension)
    with photo.original.open("rb") as stored:
        assert stored.read() == content


def test_random_name_drops_an_extension_that_could_smuggle_anything():
    assert images.random_name("a.php%00.jpg").endswith(".jpg")
    assert "." not in images.random_name("notes.tar.gz/../x")
    assert images.random_name("no-extension", default_extension="pdf").endswith(".pdf")


# What is refused ---------------------------------------------------------------------------


def test_refuses_a_truncated_jpeg(photo):
    whole = image_bytes(size=(300, 200))
    assert refusal(photo, whole[: len(whole) * 2 // 3]) == [NOT_AN_IMAGE]


def test_refuses_a_truncated_jpeg_even_once_weasyprint_tolerates_them(photo, monkeypatch):
    # Importing WeasyPrint (to render a PDF) sets this process-wide switch
    # (weasyprint/images.py); an upload must still be checked as strictly.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    whole = image_bytes(size=(300, 200))
    assert refusal(photo, whole[: len(whole) * 2 // 3]) == [NOT_AN_IMAGE]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_refuses_a_truncated_png(photo):
    whole = image_bytes(size=(300, 200), fmt="PNG")
    assert refusal(photo, whole[: len(whole) // 2], "plan.png") == [NOT_AN_IMAGE]


def test_refuses_a_web_page_named_like_a_photo(photo):
    page = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
    assert refusal(photo, page, "photo.jpg") == [NOT_AN_IMAGE]


def test_refuses_an_empty_file(photo):
    assert refusal(photo, b"") == [NOT_AN_IMAGE]


def test_refuses_a_gif(photo):
    buffer = io.BytesIO()
    Image.new("P", (20, 20)).save(buffer, "GIF")
    assert refusal(photo, buffer.getvalue(), "animation.gif") == [NOT_AN_IMAGE]


def test_refuses_a_pixel_bomb_without_decoding_it(photo, monkeypatch):
    def decoding_is_forbidden(*args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding_is_forbidden)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "verify", decoding_is_forbidden)
    bomb = png_declaring(20_000, 20_000)
    assert len(bomb) < 200
    assert refusal(photo, bomb, "bomb.png") == [TOO_MANY_PIXELS]


def test_refuses_a_picture_just_over_forty_megapixels_without_decoding_it(photo, monkeypatch):
    def decoding_is_forbidden(*args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding_is_forbidden)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "verify", decoding_is_forbidden)
    # 8000 × 5001 = 40,008,000 pixels: over our limit, under Pillow's own warning.
    assert refusal(photo, png_declaring(8_000, 5_001), "big.png") == [TOO_MANY_PIXELS]


def test_sixteen_bit_greyscale_keeps_its_tones():
    from PIL import Image

    from rentcenter.images import upright

    ramp = Image.new("I;16", (256, 1))
    ramp.putdata([value * 256 for value in range(256)])
    grey = upright(ramp).convert("L")
    assert grey.getpixel((0, 0)) == 0
    assert 120 <= grey.getpixel((128, 0)) <= 136  # mid-grey, not clipped to white
    assert grey.getpixel((255, 0)) >= 250
