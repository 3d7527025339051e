"""The hostile-file corpus: every kind of file a browser can send, posted through the real
upload form with JavaScript off (a plain multipart post, then the page it redirects to).

Each file is either refused with a clear Chinese message (nothing stored: no row, no file) or
accepted and sanitised: the copies served (display and thumbnail) are re-encoded from pixels
and carry nothing of a payload (no EXIF or GPS, no comment, no trailing bytes).

Originals are kept as the candidate sent them, byte for byte (they are the evidence the
reviewers may need, and the duplicate check's checksum is theirs): they are never served to
the candidate, only to staff in scope, with the content type of the sniffed format,
`X-Content-Type-Options: nosniff` and `Content-Disposition: inline; filename=….jpg/png`, so a
browser shows them as an image and never runs what trails the picture.

The corpus is generated here (tests/photos.py makes the pictures), so it needs no files."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from unittest import mock

import pytest
from PIL import Image, ImageFile

from materials.models import MaterialImage
from tests import photos
from tests.factories.accounts import site_reviewer
from tests.factories.materials import MaterialCategoryFactory
from tests.materials.conftest import login_candidate
from tests.materials.helpers import stored_files

pytestmark = pytest.mark.django_db

SCRIPT = b"<script>alert(document.cookie)</script>"
HTML = b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>"


# --- the corpus -----------------------------------------------------------------------------


def _small_jpeg(**kwargs) -> bytes:
    return photos.make_jpeg(640, 480, camera_exif=False, **kwargs)


def _small_png(**kwargs) -> bytes:
    return photos.make_png(640, 480, **kwargs)


def _png_small_bomb(side: int = 5000) -> bytes:
    """A complete, valid PNG of side×side zeros: 25 megapixels (exactly the pixel limit)
    in about 72 KB, 100 MB once decoded."""
    return photos.make_real_png_bomb(side)


def _png_bad_crc() -> bytes:
    data = bytearray(_small_png())
    idat = data.find(b"IDAT")
    data[idat + 20] ^= 0xFF  # a byte of the compressed pixels: the chunk's CRC no longer fits
    return bytes(data)


def _jpeg_junk_after_header() -> bytes:
    return b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8


def _jpeg_zeroed_scan() -> bytes:
    data = bytearray(_small_jpeg())
    sos = data.find(b"\xff\xda")
    data[sos + 20 : len(data) - 2] = b"\x00" * (len(data) - 2 - sos - 20)
    return bytes(data)


def _gif_bomb() -> bytes:
    """A GIF whose screen and frame declare 65535×65535 pixels."""
    data = bytearray(photos.make_gif(40, 30))
    struct.pack_into("<HH", data, 6, 0xFFFF, 0xFFFF)
    frame = data.find(b"\x2c")
    struct.pack_into("<HH", data, frame + 5, 0xFFFF, 0xFFFF)
    return bytes(data)


def _tiff_bomb() -> bytes:
    """A fax-compressed TIFF of 100 megapixels in a few kilobytes."""
    buf = io.BytesIO()
    Image.new("1", (10_000, 10_000), 1).save(buf, "TIFF", compression="group4")
    return buf.getvalue()


def _ico() -> bytes:
    buf = io.BytesIO()
    photos.scene(64, 64).save(buf, "ICO")
    return buf.getvalue()


def _j2k() -> bytes:
    buf = io.BytesIO()
    photos.scene(64, 48).save(buf, "JPEG2000")
    return buf.getvalue()


def _svg() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" '
        b'height="100"><rect width="100" height="100"/>' + SCRIPT + b"</svg>"
    )


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("payload.html", HTML)
        archive.writestr("run.sh", b"#!/bin/sh\necho owned\n")
    return buf.getvalue()


def _jpeg_odd_exif() -> bytes:
    """An APP1 Exif segment whose IFD claims 65535 entries and points outside the segment,
    plus an orientation tag of 9 (there is no such orientation)."""
    base = _small_jpeg(seed=7)
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + b"\xff\xff" + b"\x01\x12\x00\x03\x00\x00\x00\x01"
    tiff += b"\x00\x09\x00\x00" + b"\x7f\xff\xff\xf0" * 8
    payload = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return base[:2] + segment + base[2:]


def _png_text_chunk() -> bytes:
    """A PNG with the script in a tEXt chunk."""
    data = _small_png(seed=5)
    chunk = b"Comment\x00" + HTML
    text = struct.pack(">I", len(chunk)) + b"tEXt" + chunk
    text += struct.pack(">I", zlib.crc32(b"tEXt" + chunk) & 0xFFFFFFFF)
    return data[:33] + text + data[33:]


# (file name, bytes, the message the page shows)
UNREADABLE = "无法识别该文件，请上传 JPG/PNG 格式的照片。"
BROKEN = "图片文件不完整或已损坏"
NOT_ALLOWED = "本项材料只接受 JPG/PNG 格式的照片，您选择的文件是 %s 格式。"
REFUSED = {
    "truncated-jpeg": ("photo.jpg", lambda: photos.make_truncated_jpeg(640, 480), BROKEN),
    "truncated-png": ("photo.png", photos.make_truncated_png, BROKEN),
    "jpeg-junk-after-header": ("photo.jpg", _jpeg_junk_after_header, UNREADABLE),
    "png-bad-crc": ("photo.png", _png_bad_crc, BROKEN),
    "png-signature-then-html": ("photo.png", lambda: b"\x89PNG\r\n\x1a\n" + HTML, BROKEN),
    "png-bomb-10-gigapixels": ("bomb.png", photos.make_png_bomb, "像素"),
    "png-bomb-81-megapixels": ("bomb.png", photos.make_real_png_bomb, "9000×9000 像素过大"),
    "png-bomb-small-on-disk": ("bomb.png", _png_small_bomb, "不像是一张正常的照片"),
    "jpeg-declaring-60000x60000": ("bomb.jpg", photos.make_jpeg_bomb_header, "图片尺寸过大"),
    "gif-bomb-renamed": ("bomb.jpg", _gif_bomb, "图片尺寸过大"),
    "tiff-bomb-renamed": ("bomb.png", _tiff_bomb, NOT_ALLOWED % "TIFF"),
    "gif-renamed": ("photo.jpg", photos.make_gif, NOT_ALLOWED % "GIF"),
    "tiff-renamed": ("photo.jpg", photos.make_tiff, NOT_ALLOWED % "TIFF"),
    "webp-renamed": ("photo.jpg", photos.make_webp, NOT_ALLOWED % "WebP"),
    "bmp-renamed": ("photo.png", photos.make_bmp, NOT_ALLOWED % "BMP"),
    "ico-renamed": ("photo.jpg", _ico, UNREADABLE),
    "j2k-renamed": ("photo.jpg", _j2k, UNREADABLE),
    "svg-renamed": ("photo.jpg", _svg, UNREADABLE),
    "svg": ("drawing.svg", _svg, UNREADABLE),
    "html-renamed": ("photo.jpg", lambda: HTML, UNREADABLE),
    "text-renamed": ("photo.png", lambda: "身份证号 110101199003070000\n".encode(), UNREADABLE),
    "zip-renamed": ("photo.jpg", _zip_bytes, UNREADABLE),
    "pdf-renamed": ("photo.jpg", photos.make_pdf, "不接受 PDF 文件"),
    "heic": ("IMG_0001.jpg", photos.make_heic_like, "HEIC/HEIF"),
    "empty": ("photo.jpg", lambda: b"", "文件是空的"),
    "png-named-jpg": ("photo.jpg", _small_png, "文件扩展名是 .jpg，但文件内容是 PNG 格式"),
}

# (file name, bytes, payload markers that must not be in any served copy)
ACCEPTED = {
    "png-then-html": ("photo.png", lambda: _small_png(seed=1) + HTML, [SCRIPT]),
    "jpeg-then-zip": ("photo.jpg", lambda: _small_jpeg(seed=2) + _zip_bytes(), [b"PK\x03\x04"]),
    "script-in-jpeg-comment": ("photo.jpg", lambda: _small_jpeg(seed=3, comment=HTML), [SCRIPT]),
    "script-in-png-text": ("photo.png", _png_text_chunk, [SCRIPT]),
    "gps-exif": ("photo.jpg", lambda: _small_jpeg(seed=4, gps=True), [b"Exif", b"GPS"]),
    "phone-exif": (
        "photo.jpg",
        lambda: photos.make_jpeg(800, 600, seed=6, exif_orientation=6, gps=True),
        [b"Exif", b"YishenPhone"],
    ),
    "cmyk": ("photo.jpg", lambda: photos.make_cmyk_jpeg(seed=8), [b"Adobe"]),
    "odd-exif": ("photo.jpg", _jpeg_odd_exif, [b"Exif"]),
    "xmp": (
        "photo.jpg",
        lambda: _small_jpeg(seed=9, xmp=b"<x:xmpmeta>" + SCRIPT + b"</x:xmpmeta>"),
        [SCRIPT, b"xmpmeta"],
    ),
}


# --- how they are posted ---------------------------------------------------------------------


@pytest.fixture
def category(candidate):
    return MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="身份证明",
        required=True,
        min_count=1,
        max_count=10,
    )


def post_without_javascript(client, category, data: bytes, name: str):
    """The form as a browser without JavaScript sends it: multipart, no fragment header."""
    return client.post(
        f"/materials/category/{category.pk}/upload/",
        {"photos": photos.upload(data, name, content_type="application/octet-stream")},
    )


def category_section(client, category) -> str:
    page = client.get("/materials/")
    assert page.status_code == 200
    body = page.content.decode()
    start = body.index(f'id="cat-{category.pk}"')
    return body[start : body.index("</section>", start)]


def served(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(REFUSED))
def test_hostile_file_refused_with_message_nothing_stored(client, candidate, category, kind):
    name, make, message = REFUSED[kind]
    login_candidate(client, candidate)
    before = stored_files()

    response = post_without_javascript(client, category, make(), name)

    assert response.status_code == 302
    assert message in category_section(client, category)
    assert not MaterialImage.objects.exists()
    assert stored_files() == before


@pytest.mark.parametrize("kind", list(REFUSED))
def test_hostile_file_refused_through_the_script_path_too(client, candidate, category, kind):
    name, make, message = REFUSED[kind]
    login_candidate(client, candidate)

    response = client.post(
        f"/materials/category/{category.pk}/upload/",
        {"photos": photos.upload(make(), name)},
        HTTP_X_YISHEN_FRAGMENT="1",
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MaterialImage.objects.exists()


@pytest.mark.parametrize("kind", list(ACCEPTED))
def test_payload_file_accepted_served_copies_carry_no_payload(
    client, candidate, category, kind, django_capture_on_commit_callbacks
):
    name, make, markers = ACCEPTED[kind]
    data = make()
    login_candidate(client, candidate)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_without_javascript(client, category, data, name)

    assert response.status_code == 302
    assert "已上传 1 张" in category_section(client, category)
    image = MaterialImage.objects.get()
    assert image.processing == "ready", image.processing_error
    for variant in ("display", "thumb"):
        copy = served(client.get(f"/materials/image/{image.pk}/{variant}/"))
        for marker in markers:
            assert marker not in copy, (variant, marker)
        with Image.open(io.BytesIO(copy)) as im:
            assert im.format == "JPEG"
            assert im.mode == "RGB"
            assert dict(im.getexif()) == {}
            assert "comment" not in im.info
            assert "icc_profile" not in im.info
        # Nothing after the end of the picture.
        assert copy.endswith(b"\xff\xd9")
        assert copy.count(b"\xff\xd9") == 1 or copy.rindex(b"\xff\xd9") == len(copy) - 2
    # The original: never to the candidate.
    assert client.get(f"/materials/image/{image.pk}/original/").status_code == 404


@pytest.mark.parametrize("kind", ["png-then-html", "jpeg-then-zip", "script-in-jpeg-comment"])
def test_payload_original_kept_as_sent_served_to_staff_as_an_image_only(
    client, candidate, category, kind
):
    name, make, _markers = ACCEPTED[kind]
    data = make()
    login_candidate(client, candidate)
    post_without_javascript(client, category, data, name)
    image = MaterialImage.objects.get()
    client.logout()
    client.force_login(site_reviewer(candidate.site))

    response = client.get(f"/materials/image/{image.pk}/original/")

    assert served(response) == data
    expected = "image/png" if name.endswith(".png") else "image/jpeg"
    assert response["Content-Type"] == expected
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert (
        response["Content-Disposition"]
        .split(";")[1]
        .strip()
        .endswith('.png"' if expected == "image/png" else '.jpg"')
    )


def test_small_png_bomb_refused_without_decoding_a_pixel(client, candidate, category):
    data = _png_small_bomb()
    assert len(data) < 80 * 1024
    login_candidate(client, candidate)

    with mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded")):
        response = post_without_javascript(client, category, data, "bomb.png")

    assert response.status_code == 302
    assert "5000×5000" in category_section(client, category)
    assert not MaterialImage.objects.exists()


def test_same_photo_posted_again_refused_before_the_decode(client, candidate, category):
    data = _small_jpeg(seed=11)
    login_candidate(client, candidate)
    post_without_javascript(client, category, data, "photo.jpg")

    with mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded")):
        response = post_without_javascript(client, category, data, "photo.jpg")

    assert response.status_code == 302
    assert "这张照片已经上传过了" in category_section(client, category)
    assert MaterialImage.objects.count() == 1


def test_big_real_photo_with_enough_bytes_per_pixel_still_accepted(client, candidate):
    """The ratio check refuses bombs, not big photos: a 12-megapixel phone photo of about
    3 MB goes through where the province allows that size."""
    big = MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        max_bytes=10 * 1024 * 1024,
        max_count=2,
    )
    login_candidate(client, candidate)

    response = post_without_javascript(client, big, photos.make_phone_jpeg(), "IMG_0001.jpg")

    assert response.status_code == 302
    assert MaterialImage.objects.get().width == 3000
