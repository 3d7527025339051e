"""Mainland resident ID numbers (公民身份号码, GB 11643-1999): 17 digits and a check
character computed over them (ISO 7064 MOD 11-2), which is 0-9 or X."""

from __future__ import annotations

import re
import unicodedata

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"

_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# Characters OCR confuses with digits inside a run of digits (never applied to the check
# position's X, which is a real character of the number).
# (The text is upper-cased first: l and i arrive as L and I.)
_CONFUSED = str.maketrans({"O": "0", "D": "0", "I": "1", "L": "1", "|": "1"})
_RUN = re.compile(r"[0-9A-Z|]{18,}")


def normalise(text: str) -> str:
    """Full-width digits and letters to ASCII (NFKC), no spaces, a lower-case x as X."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", text).upper()


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def is_valid(number: str) -> bool:
    """18 characters whose last one is the GB 11643 check character of the other 17."""
    number = normalise(number)
    return bool(_SHAPE.match(number)) and check_character(number[:17]) == number[17]


def find(text: str) -> str | None:
    """The ID number in a line of OCR text: the first 18-character window with a valid
    check character, else the first one of the right shape (read but not valid), else None.
    Letters that OCR confuses with digits (O, I, l…) count as digits in the first 17."""
    candidates: list[str] = []
    for run in _RUN.findall(normalise(text)):
        for start in range(len(run) - 17):
            window = run[start : start + 18]
            head = window[:17].translate(_CONFUSED)
            tail = window[17].translate(_CONFUSED) if window[17] != "X" else "X"
            number = head + tail
            if _SHAPE.match(number):
                if check_character(number[:17]) == number[17]:
                    return number
                candidates.append(number)
    return candidates[0] if candidates else None
