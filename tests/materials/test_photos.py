"""The shared photo makers do what they say (other helpers' tests rely on them)."""

import io

from PIL import Image, ImageOps

from tests import photos


def test_photos_exif_orientation_all_upright_once_applied():
    for orientation in range(1, 9):
        data = photos.make_jpeg(400, 300, exif_orientation=orientation)
        im = ImageOps.exif_transpose(photos.open_image(data))
        assert im.size == (400, 300)
        assert photos.is_upright(im), orientation


def test_photos_phone_jpeg_is_big_rotated_with_gps():
    data = photos.make_phone_jpeg()
    assert 1_500_000 <= len(data) <= 5_000_000
    im = Image.open(io.BytesIO(data))
    assert im.size == (3000, 4000)
    assert im.getexif()[0x0112] == 6
    assert im.getexif().get_ifd(0x8825)[1] == "N"


def test_photos_exact_size_jpeg_decodes():
    for n in (204_800, 204_801):
        data = photos.make_jpeg_exactly(n)
        assert len(data) == n
        assert photos.open_image(data).size == (640, 480)


def test_photos_fit_under_limit():
    data = photos.make_bench_jpeg()
    assert 150_000 < len(data) <= 204_800
    assert photos.open_image(data).size == (1600, 1200)
