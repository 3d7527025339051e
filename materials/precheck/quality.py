"""Quality hints from the pixels (Pillow and numpy): too dark, too bright, blurred, too
small, mostly empty. Hints only: a photo with hints is stored and reviewed like any other.

Measured on a grey copy whose long side is ANALYSIS_SIDE, so that the thresholds mean the
same for a 1000-pixel and a 4000-pixel photo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

ANALYSIS_SIDE = 1000

DARK_MEAN = 55  # mean brightness (0-255) below this: too dark
BRIGHT_MEAN = 225  # above this, or
BRIGHT_CLIPPED = 0.5  # more than half of the pixels burnt out (≥ 250): too bright
SMALL_SIDE = 480  # the short side of the photo, in pixels
BLUR_VARIANCE = 60.0  # variance of the Laplacian below this: blurred
EMPTY_STD = 10.0  # brightness hardly varies: mostly empty

DARK = "dark"
BRIGHT = "bright"
BLURRED = "blurred"
SMALL = "small"
EMPTY = "empty"
CODES = (DARK, BRIGHT, BLURRED, SMALL, EMPTY)


@dataclass(frozen=True)
class Measures:
    mean: float
    clipped: float
    laplacian_variance: float
    std: float
    short_side: int


def measure(image: Image.Image) -> Measures:
    width, height = image.size
    grey = image.convert("L")
    scale = ANALYSIS_SIDE / max(width, height)
    if scale < 1:
        grey = grey.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))),
            Image.Resampling.BILINEAR,
        )
    a = np.asarray(grey, dtype=np.float32)
    if a.shape[0] < 3 or a.shape[1] < 3:
        return Measures(float(a.mean()), 0.0, 0.0, 0.0, min(width, height))
    # 4-neighbour Laplacian on the interior pixels.
    lap = a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] - 4.0 * a[1:-1, 1:-1]
    return Measures(
        mean=float(a.mean()),
        clipped=float((a >= 250).mean()),
        laplacian_variance=float(lap.var()),
        std=float(a.std()),
        short_side=min(width, height),
    )


def hints(image: Image.Image) -> list[str]:
    """The hint codes for one upright photo, in the order of CODES."""
    m = measure(image)
    found: list[str] = []
    empty = m.std < EMPTY_STD
    if m.mean < DARK_MEAN:
        found.append(DARK)
    if m.mean > BRIGHT_MEAN or m.clipped > BRIGHT_CLIPPED:
        found.append(BRIGHT)
    # An empty photo has no edges to be sharp: say empty, not blurred.
    if not empty and m.laplacian_variance < BLUR_VARIANCE:
        found.append(BLURRED)
    if m.short_side < SMALL_SIDE:
        found.append(SMALL)
    if empty:
        found.append(EMPTY)
    return found
