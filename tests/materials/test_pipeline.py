"""The processed photo: upright, RGB, no metadata, watermarked, thumbnail; the task's states."""

import io

import pytest
from PIL import Image, ImageChops

from materials import pipeline, watermark
from materials.enums import ProcessingState
from materials.models import MaterialImage
from materials.processing import image_process
from materials.services import image_upload
from materials.tasks import image_process as image_process_task
from tests import photos
from tests.factories.materials import MaterialImageFactory
from tests.materials.helpers import stored_files

TEXT = "仅供2026年医师资格考试审核使用 202600000001"


def run(data: bytes, text: str = TEXT) -> pipeline.Processed:
    return pipeline.process(data, watermark=text)


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def assert_no_metadata(data: bytes):
    im = opened(data)
    assert im.format == "JPEG"
    assert im.mode == "RGB"
    assert not im.getexif()
    assert "exif" not in im.info and "icc_profile" not in im.info
    assert "comment" not in im.info and "xmp" not in im.info
    # No APPn segment other than JFIF, no COM segment, nothing after the end of the image.
    # Only the segments before the scan are searched: the compressed scan is arbitrary bytes
    # and holds "GPS" by chance about once in a hundred photos.
    header = _segments_before_scan(data)
    assert b"Exif" not in header and b"GPS" not in header and b"YishenPhone" not in header
    assert b"Shot on" not in header
    assert all(marker in (0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD) for marker, _ in _markers(data))
    assert b"YishenPhone" not in data and b"Shot on" not in data
    assert data.endswith(b"\xff\xd9")


def _markers(data: bytes):
    """The (marker, segment) pairs of a JPEG from SOI up to its first scan (SOS)."""
    pos = 2  # after SOI
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        yield marker, data[pos + 4 : pos + 2 + length]
        pos += 2 + length


def _segments_before_scan(data: bytes) -> bytes:
    return b"".join(segment for _, segment in _markers(data))


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_pipeline_upright_for_every_exif_orientation(orientation):
    result = run(photos.make_jpeg(800, 600, exif_orientation=orientation))
    im = opened(result.display)
    assert im.size == (800, 600)
    assert photos.is_upright(im), photos.corner_pixels(im)


def test_pipeline_phone_photo_scaled_upright_without_metadata():
    data = photos.make_phone_jpeg()  # stored 3000×4000, orientation 6, GPS, comment
    result = run(data)
    im = opened(result.display)
    assert im.size == (1600, 1200)
    assert photos.is_upright(im)
    assert_no_metadata(result.display)
    assert_no_metadata(result.thumbnail)
    assert (result.thumb_width, result.thumb_height) == (320, 240)
    assert opened(result.thumbnail).size == (320, 240)


def test_pipeline_strips_xmp_icc_trailing_bytes():
    data = photos.make_jpeg(
        800,
        600,
        gps=True,
        comment="secret comment",
        xmp=b"<x:xmpmeta>secret</x:xmpmeta>",
        icc=True,
        trailing=b"HIDDEN-TRAILER-DATA",
    )
    result = run(data)
    for out in (result.display, result.thumbnail):
        assert_no_metadata(out)
        assert b"secret" not in out and b"HIDDEN-TRAILER" not in out


def test_pipeline_png_text_chunks_and_alpha_flattened_on_white():
    data = photos.make_png(800, 600, alpha=True, text={"Comment": "secret", "Author": "张三"})
    result = run(data, text="")
    im = opened(result.display)
    assert_no_metadata(result.display)
    assert b"secret" not in result.display
    # The right half was fully transparent: white now.
    assert im.getpixel((700, 300)) >= (245, 245, 245)
    assert photos.is_red(im.getpixel((20, 20)))


def test_pipeline_cmyk_and_grayscale_become_rgb():
    for data in (photos.make_cmyk_jpeg(), photos.make_grayscale_jpeg(), photos.make_png(mode="L")):
        im = opened(run(data).display)
        assert im.mode == "RGB"
        assert im.size == (800, 600)
    cmyk = opened(run(photos.make_cmyk_jpeg(), text="").display)
    assert photos.is_red(cmyk.getpixel((10, 10)))


def test_pipeline_progressive_jpeg():
    im = opened(run(photos.make_progressive_jpeg(1600, 1200, exif_orientation=8)).display)
    assert im.size == (1600, 1200) and photos.is_upright(im)


def _changed(a: Image.Image, b: Image.Image) -> int:
    """Pixels whose grey value differs by more than 20."""
    return ImageChops.difference(a, b).point(lambda v: 255 if v > 20 else 0).histogram()[255]


def test_pipeline_watermark_present_in_text_area():
    data = photos.make_jpeg(1600, 1200, noise=0)
    plain = opened(run(data, text="").display).convert("L")
    marked = opened(run(data).display).convert("L")
    # Where the tiled text is drawn the pixels differ clearly; the tile covers the picture.
    assert _changed(plain, marked) > 1600 * 1200 * 0.01
    # Every quarter of the picture carries some of the watermark.
    w, h = plain.size
    for qx in (0, 1):
        for qy in (0, 1):
            box = (qx * w // 2, qy * h // 2, (qx + 1) * w // 2, (qy + 1) * h // 2)
            assert _changed(plain.crop(box), marked.crop(box)) > 500
    # The thumbnail carries it too.
    thumb_plain = opened(run(data, text="").thumbnail).convert("L")
    thumb_marked = opened(run(data).thumbnail).convert("L")
    assert _changed(thumb_plain, thumb_marked) > 320 * 240 * 0.005


def test_pipeline_watermark_tile_cached_per_text_and_size():
    watermark.tile.cache_clear()
    data = photos.make_jpeg(800, 600, noise=0)
    run(data)
    run(data)
    info = watermark.tile.cache_info()
    assert info.misses == 1 and info.hits == 1


def test_watermark_text_filled_safely():
    assert (
        watermark.watermark_text("仅供{year}年 {reg_no}", year=2026, reg_no="123")
        == "仅供2026年 123"
    )
    assert watermark.watermark_text("{year.__class__}", year=2026, reg_no="1") == "{year.__class__}"


def test_watermark_missing_glyphs():
    assert watermark.missing_glyphs("仅供2026年医师资格考试审核使用 {reg_no}") == []
    assert watermark.missing_glyphs("龘龘😀审核") == ["龘", "😀"]


def test_pipeline_broken_original_raises_pipeline_error():
    with pytest.raises(pipeline.PipelineError):
        run(photos.make_truncated_jpeg())


# --- the task and its states ------------------------------------------------------------


@pytest.mark.django_db
def test_process_task_ready_and_idempotent(candidate, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = image_upload(
            candidate=candidate,
            category=category,
            file=photos.upload(photos.make_jpeg(1600, 1200, exif_orientation=6, gps=True)),
        ).image
    image.refresh_from_db()
    assert image.processing == ProcessingState.READY
    assert image.display.name.startswith("display/") and image.thumbnail.name.startswith("thumbs/")
    assert (image.width, image.height) == (1600, 1200)
    with image.display.open("rb") as fh:
        display = fh.read()
    assert_no_metadata(display)
    assert photos.is_upright(opened(display))
    files = stored_files()
    # Twice more: nothing changes, no new files.
    assert image_process_task.apply(kwargs={"image_id": image.pk}).get() == ProcessingState.READY
    assert image_process(image_id=image.pk) == ProcessingState.READY
    image_before = image.display.name
    image.refresh_from_db()
    assert image.display.name == image_before
    assert stored_files() == files


@pytest.mark.django_db
def test_process_concurrent_loser_removes_its_files(candidate, category):
    image = MaterialImageFactory(candidate=candidate, category=category, processed=False)
    image_process(image_id=image.pk)
    files = stored_files()
    # A second worker that had started before the first one finished: it loses the race.
    MaterialImage.objects.filter(pk=image.pk).update(processing=ProcessingState.PROCESSING)
    image_process(image_id=image.pk)
    assert stored_files() == files


@pytest.mark.django_db
def test_process_undecodable_original_failed(candidate, category):
    image = MaterialImageFactory(candidate=candidate, category=category, processed=False)
    with image.original.open("wb") as fh:
        fh.write(photos.make_truncated_jpeg())
    assert image_process_task.apply(kwargs={"image_id": image.pk}).get() == ProcessingState.FAILED
    image.refresh_from_db()
    assert image.processing == ProcessingState.FAILED
    assert image.processing_error


@pytest.mark.django_db
def test_process_missing_original_retried_then_failed(candidate, category):
    image = MaterialImageFactory(candidate=candidate, category=category, processed=False)
    image.original.storage.delete(image.original.name)
    image_process_task.apply(kwargs={"image_id": image.pk})
    image.refresh_from_db()
    assert image.processing == ProcessingState.FAILED
    assert image.processing_attempts == 5  # the first try and four retries


@pytest.mark.django_db
def test_process_gone_image_is_quiet():
    assert image_process_task.apply(kwargs={"image_id": 987654}).get() == "gone"
