"""The watermark stamped on every processed photo: the province's text (default
仅供{year}年医师资格考试审核使用 {reg_no}) tiled diagonally and semi-transparent.

The tile (the rotated text as an alpha mask) is drawn once per (text, font size) and cached;
stamping a photo is a handful of C-level pastes of one colour through that mask, with no
RGBA conversion of the photo.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Regular-GB2312.otf"

# Dark grey at about 30 % opacity, with a light halo of the same strength so the text shows
# on dark and on light paper alike.
INK = (60, 60, 60)
HALO = (255, 255, 255)
INK_ALPHA = 0.30
HALO_ALPHA = 0.22
ANGLE = 30  # degrees, counter-clockwise
_SIZE_STEP = 4  # font sizes are rounded to this step so that tiles are shared
_INK_LUT = [int(v * INK_ALPHA) for v in range(256)]
_HALO_LUT = [int(v * HALO_ALPHA) for v in range(256)]


def watermark_text(template: str, *, year, reg_no: str) -> str:
    """Fills {year} and {reg_no}. Plain replacement, not str.format: the template is typed
    by operators and must not be able to reach into Python objects."""
    return template.replace("{year}", str(year)).replace("{reg_no}", str(reg_no)).strip()


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


@lru_cache(maxsize=1)
def _missing_mask() -> tuple[tuple[int, int], bytes]:
    # A code point the font certainly lacks: what "no glyph" renders as (.notdef).
    mask = font(32).getmask("\U000f0000")
    return mask.size, bytes(mask)


def missing_glyphs(text: str) -> list[str]:
    """The characters of `text` that the watermark font cannot draw (each once, in order).
    For the Province admin: refuse a watermark text that would print empty boxes."""
    missing: list[str] = []
    nd_size, nd_bytes = _missing_mask()
    f = font(32)
    for ch in dict.fromkeys(text):
        if ch.isspace() or ch in "{}":
            continue
        mask = f.getmask(ch)
        if mask.size == nd_size and bytes(mask) == nd_bytes:
            missing.append(ch)
    return missing


def font_size_for(width: int, height: int) -> int:
    size = max(14, min(width, height) // 26)
    return max(14, size - size % _SIZE_STEP)


Piece = tuple[int, int, Image.Image, Image.Image]  # dx, dy, colour, alpha


# Small caches: the shared line stays, each candidate's reg_no line is only needed for
# that candidate's few photos (a 64-entry cache of full tiles held ~20 MB).
@lru_cache(maxsize=24)
def _line(text: str, size: int) -> tuple[tuple[int, int], tuple[Piece, ...]]:
    """One line of text rotated by ANGLE: its (rotated) size and its non-empty pieces
    (horizontal bands cropped to their ink; a diagonal line leaves most of its bounding box
    empty, and pasting only the pieces costs a fraction of the whole)."""
    f = font(size)
    left, top, right, bottom = f.getbbox(text)
    pad = size // 6 + 2
    canvas = (right - left + 2 * pad, bottom - top + 2 * pad)
    ink = Image.new("L", canvas, 0)
    ImageDraw.Draw(ink).text((pad - left, pad - top), text, font=f, fill=255)
    halo = Image.new("L", canvas, 0)
    ImageDraw.Draw(halo).text(
        (pad - left, pad - top), text, font=f, fill=255, stroke_width=max(1, size // 14)
    )
    # Both masks rotated in one go (as the two bands of an LA image).
    both = Image.merge("LA", (ink, halo)).rotate(
        ANGLE, resample=Image.Resampling.BILINEAR, expand=True
    )
    ink, halo = both.split()
    # Halo under ink, flattened into one colour layer and one alpha mask (a single paste).
    layer = Image.new("RGBA", ink.size, (*HALO, 0))
    layer.putalpha(halo.point(_HALO_LUT))
    top_layer = Image.new("RGBA", ink.size, (*INK, 0))
    top_layer.putalpha(ink.point(_INK_LUT))
    layer = Image.alpha_composite(layer, top_layer)
    colour, alpha = layer.convert("RGB"), layer.getchannel("A")
    w, h = alpha.size
    pieces: list[Piece] = []
    band = max(8, size // 2)
    for y0 in range(0, h, band):
        box = alpha.crop((0, y0, w, min(h, y0 + band))).getbbox()
        if box is None:
            continue
        x1, by0, x2, by1 = box
        crop = (x1, y0 + by0, x2, y0 + by1)
        pieces.append((crop[0], crop[1], colour.crop(crop), alpha.crop(crop)))
    return (w, h), tuple(pieces)


@lru_cache(maxsize=8)
def tile(text: str, size: int) -> tuple[tuple[int, int], tuple[Piece, ...]]:
    """One tile of the pattern: the text's words as centred lines one under the other
    (仅供2026年医师资格考试审核使用 / 202600000001), rotated by ANGLE, with room around it;
    tiles laid edge to edge give the staggered diagonal pattern.

    Lines are drawn and cached on their own: the long line shared by every candidate of a
    year is drawn once per worker, only the short reg_no line is new per candidate."""
    lines = text.split()
    rad = math.radians(ANGLE)
    step = size * 1.35  # line spacing, across the (rotated) baseline
    placed = []
    for i, line in enumerate(lines):
        (w, h), pieces = _line(line, size)
        # Centre of line i: below line 0, perpendicular to the rotated baseline.
        cx, cy = i * step * math.sin(rad), i * step * math.cos(rad)
        placed.append((cx - w / 2, cy - h / 2, w, h, pieces))
    min_x = min(p[0] for p in placed)
    min_y = min(p[1] for p in placed)
    max_x = max(p[0] + p[2] for p in placed)
    max_y = max(p[1] + p[3] for p in placed)
    gap = size
    out: list[Piece] = []
    for x, y, _w, _h, pieces in placed:
        ox, oy = round(x - min_x) + gap // 2, round(y - min_y) + gap // 2
        out.extend((ox + dx, oy + dy, colour, alpha) for dx, dy, colour, alpha in pieces)
    return (round(max_x - min_x) + gap, round(max_y - min_y) + gap), tuple(out)


def stamp(im: Image.Image, text: str) -> Image.Image:
    """Stamps the tiled watermark onto an RGB image in place and returns it."""
    if not text:
        return im
    width, height = im.size
    (tw, th), pieces = tile(text, font_size_for(width, height))
    for row, y in enumerate(range(-th // 3, height, th)):
        # Every other row shifted by half a tile: a staggered, brick-like pattern.
        offset = -(tw // 2) * (row % 2)
        for x in range(offset, width, tw):
            for dx, dy, colour, alpha in pieces:
                px, py = x + dx, y + dy
                if px >= width or py >= height or px + alpha.width <= 0 or py + alpha.height <= 0:
                    continue
                im.paste(colour, (px, py), alpha)
    return im
