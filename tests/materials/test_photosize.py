"""The rule that makes a photo fit its category's byte limit before it is sent
(materials/photosize.py; the page's script applies it with the same numbers)."""

import io

from PIL import Image

from materials import photosize
from tests import photos

LIMIT = 204_800


def _busy(width: int, height: int) -> Image.Image:
    """A photo with much detail and sensor noise: well over the limit as taken."""
    return photos.scene(width, height, noise=30)


def _bytes_at(image: Image.Image, quality: float) -> int:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=round(quality * 100))
    return out.tell()


def test_busy_2000x1500_photo_fits_200kb_and_stays_larger_than_1024():
    photo = _busy(2000, 1500)
    assert _bytes_at(photo, photosize.QUALITY_TOP) > 3 * LIMIT

    fitted = photosize.fit_jpeg(photo, LIMIT)

    assert len(fitted.data) <= LIMIT
    assert max(fitted.width, fitted.height) > 1024
    assert fitted.width / fitted.height == 2000 / 1500
    assert Image.open(io.BytesIO(fitted.data)).size == (fitted.width, fitted.height)
    assert photosize.QUALITY_FLOOR <= fitted.quality < photosize.QUALITY_TOP


def test_quality_is_the_highest_that_fits_at_that_size():
    fitted = photosize.fit_jpeg(_busy(2000, 1500), LIMIT)
    same_size = Image.open(io.BytesIO(fitted.data))  # close enough to the scaled photo
    scaled = _busy(2000, 1500).resize(same_size.size, Image.Resampling.LANCZOS)
    assert _bytes_at(scaled, fitted.quality + 0.05) > LIMIT


def test_photo_that_fits_at_the_top_quality_keeps_its_size():
    photo = photos.scene(1200, 900, noise=0)
    fitted = photosize.fit_jpeg(photo, LIMIT)
    assert (fitted.width, fitted.height) == (1200, 900)
    assert fitted.quality == photosize.QUALITY_TOP and fitted.encodings == 1


def test_big_photo_no_larger_than_the_longest_side():
    fitted = photosize.fit_jpeg(photos.scene(4000, 3000, noise=2), LIMIT)
    assert max(fitted.width, fitted.height) <= photosize.LONGEST
    assert len(fitted.data) <= LIMIT


def test_smaller_only_when_even_the_floor_quality_does_not_fit():
    # Too little room for 2000 px even at the floor quality: a smaller side, never below
    # the floor.
    fitted = photosize.fit_jpeg(_busy(2000, 1500), 60_000)
    assert len(fitted.data) <= 60_000
    assert max(fitted.width, fitted.height) < 2000
    assert fitted.quality >= photosize.QUALITY_FLOOR


def test_nothing_fits_a_tiny_limit():
    assert photosize.fit_jpeg(_busy(2000, 1500), 2_000) is None
