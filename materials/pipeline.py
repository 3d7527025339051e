"""Turns an uploaded original into what people see: upright, RGB, no metadata at all,
watermarked, at most DISPLAY_MAX px on the long side, plus a thumbnail.

Pure functions on bytes (no Django): the task in tasks.py reads the original from storage,
calls `process`, and stores the results. Costs, for the benchmark in bench/pipeline.py:

- JPEGs are decoded through libjpeg's DCT scaling (Image.draft) at the smallest power-of-two
  reduction that is still at least the display size: a 12-megapixel phone photo is decoded
  at a quarter of its pixels, which is what keeps it fast and small in memory.
- The image is resized before it is rotated (rotating fewer pixels).
- The watermark tile is cached per (text, size) and pasted (materials/watermark.py).
- The thumbnail is made from the decoded, watermarked display image (no second decode).
- Re-encoding from pixels drops every piece of metadata: EXIF (GPS included), XMP, comments,
  ICC profiles, PNG text chunks and bytes after the end of the image. Colour-managed sources
  (CMYK, or a non-sRGB ICC profile such as Display P3) are converted to sRGB first.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import sys
import warnings
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageCms

from .watermark import stamp

DISPLAY_MAX = 1600
THUMB_MAX = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 72

_T = Image.Transpose
# EXIF orientation → the transpose that makes the stored pixels upright.
ORIENTATION_FIX = {
    2: _T.FLIP_LEFT_RIGHT,
    3: _T.ROTATE_180,
    4: _T.FLIP_TOP_BOTTOM,
    5: _T.TRANSPOSE,
    6: _T.ROTATE_270,
    7: _T.TRANSVERSE,
    8: _T.ROTATE_90,
}


BIG_SOURCE_PIXELS = 4_000_000


def release_memory() -> bool:
    """Gives the heap's free memory back to the system (glibc malloc_trim). Called by the
    task after a big source photo: the multi-megabyte pixel buffers of a 12-MP decode
    otherwise leave the heap fragmented and a worker's resident memory creeps up by several
    MB per big photo. Not after every photo: re-faulting released pages costs ~1 ms on the
    small ones. Linux/glibc only; a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False


@dataclass(frozen=True)
class Processed:
    display: bytes
    thumbnail: bytes
    source_pixels: int
    width: int
    height: int
    thumb_width: int
    thumb_height: int


class PipelineError(Exception):
    """The original cannot be processed (permanent: retrying will not help)."""


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
        return int(value) if value in ORIENTATION_FIX else 1
    except Exception:  # a broken EXIF block must not stop the photo: treat as upright
        return 1


def _target(size: tuple[int, int], longest: int) -> tuple[int, int]:
    w, h = size
    scale = min(1.0, longest / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))


@lru_cache(maxsize=1)
def _srgb_profile():
    return ImageCms.createProfile("sRGB")


def _is_srgb(icc: bytes) -> bool:
    # Cheap test on the profile's description without parsing it every time.
    return b"sRGB" in icc[:1024] or b"s\x00R\x00G\x00B" in icc[:1024]


def _to_rgb(im: Image.Image) -> Image.Image:
    """RGB on white. Transparent areas become white; CMYK and non-sRGB profiles → sRGB."""
    icc = im.info.get("icc_profile")
    if icc and (im.mode == "CMYK" or (im.mode == "RGB" and not _is_srgb(icc))):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, source, _srgb_profile(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to the plain conversion below
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        return im.point(lambda v: v / 256).convert("L").convert("RGB")
    return im.convert("RGB")


# A 12-MP JPEG arrives here drafted to half size (2000×1500, 3 MP): above this it is resized
# in strips. Pillow keeps RGB at 4 bytes a pixel, so the whole-image resampler's
# intermediate alone would be ~10 MB; in strips the worker's peak stays ~5 MB lower
# (bench/pipeline.py: 57.6 → 52.0 MB). A 1600×1200 photo (1.9 MP) takes the direct path.
STRIP_PIXELS = 2_000_000


def _resize(im: Image.Image, target: tuple[int, int]) -> Image.Image:
    """LANCZOS to the target size. A big source is resized in horizontal strips pasted into
    the output: the resampler's intermediate buffer is a strip's, not the whole picture's
    (about 5 MB less at the peak for a 12-megapixel photo, the same pixels give or take 2
    levels at the strip seams)."""
    width, height = im.size
    if width * height <= STRIP_PIXELS or target[1] < 8:
        return im.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    tw, th = target
    out = Image.new("RGB", target)
    strips = 4
    for k in range(strips):
        y0, y1 = k * th // strips, (k + 1) * th // strips
        box = (0, y0 * height / th, width, y1 * height / th)
        out.paste(im.resize((tw, y1 - y0), Image.Resampling.LANCZOS, box=box), (0, y0))
    return out


def make_thumbnail(im: Image.Image) -> Image.Image:
    """From the decoded display image: an integer box reduction (cheap), then a small
    resize for the remainder."""
    factor = max(1, max(im.size) // THUMB_MAX)
    small = im.reduce(factor) if factor > 1 else im
    if max(small.size) > THUMB_MAX:
        small = small.resize(_target(small.size, THUMB_MAX), Image.Resampling.BILINEAR)
    return small


def _encode(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    # Nothing but pixels: no exif=, icc_profile=, comment= — Pillow writes none by itself.
    im.save(buf, "JPEG", quality=quality, optimize=False, progressive=False, subsampling="4:2:0")
    return buf.getvalue()


def process(data: bytes, *, watermark: str, max_pixels: int = 25_000_000) -> Processed:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
        if im.size[0] * im.size[1] > max_pixels:
            raise PipelineError(f"too many pixels: {im.size}")
        source_pixels = im.size[0] * im.size[1]
        orientation = _orientation(im)
        fix = ORIENTATION_FIX.get(orientation)
        if im.format in ("JPEG", "MPO"):
            # The display size, in stored orientation, is the least the draft may give.
            want = _target(im.size, DISPLAY_MAX)
            im.draft("RGB" if im.mode == "RGB" else None, want)
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)
        im.load()
        target = _target(im.size, DISPLAY_MAX)
        rgb = _to_rgb(im)
        im = None  # the decoded source goes as soon as it has been converted (peak memory)
        if rgb.size != target:
            rgb = _resize(rgb, target)
        if fix is not None:
            rgb = rgb.transpose(fix)
    except PipelineError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise PipelineError(f"{type(exc).__name__}: {exc}") from exc
    # Pixels only from here: a fresh image with no info dictionary to leak.
    if rgb.info:
        rgb.info = {}
    stamp(rgb, watermark)
    display = _encode(rgb, DISPLAY_QUALITY)
    thumb = make_thumbnail(rgb)
    thumbnail = _encode(thumb, THUMB_QUALITY)
    return Processed(
        display=display,
        thumbnail=thumbnail,
        source_pixels=source_pixels,
        width=rgb.size[0],
        height=rgb.size[1],
        thumb_width=thumb.size[0],
        thumb_height=thumb.size[1],
    )
