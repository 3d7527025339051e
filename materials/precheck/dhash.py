"""A 64-bit difference hash (dHash) of a photo and its four 16-bit parts.

Two photos within HAMMING_LIMIT bits of each other share at least one of the four parts
unchanged (pigeonhole: 3 differing bits touch at most 3 of 4 parts), so a lookup by the four
indexed parts finds every such pair without scanning all hashes."""

from __future__ import annotations

from PIL import Image

HAMMING_LIMIT = 3
PARTS = 4
_MASK64 = (1 << 64) - 1


def dhash(image: Image.Image) -> int:
    """Grey, 9×8, then one bit per horizontally adjacent pair: is the left one brighter?
    Unsigned, 0 ≤ value < 2**64."""
    grey = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()  # one byte per pixel, row by row
    value = 0
    for row in range(8):
        for col in range(8):
            left = pixels[row * 9 + col]
            right = pixels[row * 9 + col + 1]
            value = (value << 1) | (1 if left > right else 0)
    return value


def parts(value: int) -> tuple[int, int, int, int]:
    """The four 16-bit parts, most significant first."""
    return tuple((value >> shift) & 0xFFFF for shift in (48, 32, 16, 0))  # type: ignore[return-value]


def to_signed(value: int) -> int:
    """For a signed 64-bit database column (PostgreSQL's bigint)."""
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value & _MASK64


def distance(a: int, b: int) -> int:
    return ((a ^ b) & _MASK64).bit_count()
