"""How a photo too big for its category is made to fit the byte limit before it is sent.

The rule keeps the picture as large as it can and pays for the bytes with JPEG quality first:
stamps and small print on a certificate are read from pixels, and a 2000 px photo at a lower
quality stays more legible than a 1024 px one at a high quality (bench/photo_size.py
measures it, figures in bench/README.md).

1. The longest side is cut to LONGEST (a smaller photo keeps its size).
2. At that size: QUALITY_TOP if it fits; else, if QUALITY_FLOOR fits, the highest quality
   that fits, by a binary search of SEARCH_STEPS encodings between the two (qualities in
   hundredths, as libjpeg takes them).
3. Only when even QUALITY_FLOOR is too big is the photo made smaller, by the square root of
   the bytes' excess (JPEG bytes grow about with the pixels) times STEP_MARGIN, at least
   STEP_MIN and at most STEP_MAX of the side, then back to 2; below MIN_LONGEST it gives up.

The page's script applies the rule in the browser (static/materials/page.js, `shrink`) with
these numbers, which the page is given (materials.views: `photo_rule`), so they have this one
home. `fit_jpeg` is the same rule in Pillow, for the tests and the bench.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

LONGEST = 2000
QUALITY_TOP = 0.92
# Measured (bench/README.md): 2000 px at quality 0.34–0.37 read better than 1600 px at 0.6 or
# 1280 px at 0.8, on a busy photo of a certificate; the floor keeps the blocks from showing.
QUALITY_FLOOR = 0.35
SEARCH_STEPS = 5
MIN_LONGEST = 320
STEP_MIN = 0.5
STEP_MAX = 0.9
STEP_MARGIN = 0.95  # a little smaller than the square root says: one step rather than two


def photo_rule() -> dict[str, float]:
    """The numbers, as the page's script reads them."""
    return {
        "longest": LONGEST,
        "qualityTop": QUALITY_TOP,
        "qualityFloor": QUALITY_FLOOR,
        "searchSteps": SEARCH_STEPS,
        "minLongest": MIN_LONGEST,
        "stepMin": STEP_MIN,
        "stepMax": STEP_MAX,
        "stepMargin": STEP_MARGIN,
    }


def middle(low: float, high: float) -> float:
    """The next quality tried between two, in hundredths (the script rounds the same way)."""
    return math.floor((low + high) * 50 + 0.5) / 100


def smaller(longest: int, max_bytes: int, floor_bytes: int) -> int:
    """The next longest side when even the floor quality gave `floor_bytes`."""
    factor = max(STEP_MIN, min(STEP_MAX, math.sqrt(max_bytes / floor_bytes) * STEP_MARGIN))
    return math.floor(longest * factor)


@dataclass(frozen=True)
class Fitted:
    data: bytes
    width: int
    height: int
    quality: float
    encodings: int


def _jpeg(image: Image.Image, quality: float) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=round(quality * 100))
    return out.getvalue()


def fit_jpeg(image: Image.Image, max_bytes: int) -> Fitted | None:
    """`image` upright RGB; the JPEG that the rule makes of it, None when nothing fits."""
    width, height = image.size
    long_side = max(width, height)
    size = min(long_side, LONGEST)
    encodings = 0
    while size >= MIN_LONGEST:
        scale = size / long_side
        scaled = image.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))),
            Image.Resampling.LANCZOS,
        )
        top = _jpeg(scaled, QUALITY_TOP)
        encodings += 1
        if len(top) <= max_bytes:
            return Fitted(top, *scaled.size, QUALITY_TOP, encodings)
        floor = _jpeg(scaled, QUALITY_FLOOR)
        encodings += 1
        if len(floor) <= max_bytes:
            best, low, high = (floor, QUALITY_FLOOR), QUALITY_FLOOR, QUALITY_TOP
            for _ in range(SEARCH_STEPS):
                quality = middle(low, high)
                if quality <= low or quality >= high:
                    break
                data = _jpeg(scaled, quality)
                encodings += 1
                if len(data) <= max_bytes:
                    best, low = (data, quality), quality
                else:
                    high = quality
            return Fitted(best[0], *scaled.size, best[1], encodings)
        size = smaller(size, max_bytes, len(floor))
    return None
