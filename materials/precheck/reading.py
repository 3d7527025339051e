"""One photo's whole pre-check, on bytes (no Django): the manage.py command, the Celery task
(through services.photo_precheck) and bench/precheck.py all call `check`."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

from PIL import Image, ImageOps

from . import dhash, idno, names, quality

# What is read from a photo, per material category (MaterialCategory.precheck).
NONE = "none"
ID_CARD = "id_card"
NAME = "name"


@dataclass
class Result:
    kind: str
    id_no: str | None = None  # the number read (whole: the caller masks it before storing)
    id_no_valid: bool | None = None
    name: str | None = None  # the name read (ID cards)
    id_no_match: bool | None = None  # same as registered, different, or not read
    name_match: bool | None = None
    quality: list[str] = field(default_factory=list)
    dhash: int = 0
    lines: list = field(default_factory=list)  # ocr.Line
    seconds: float = 0.0  # processor time of the whole check


def open_upright(data: bytes) -> Image.Image:
    """Decoded and turned upright from its EXIF orientation (what the pipeline does)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return ImageOps.exif_transpose(image).convert("RGB")


def _name_on_card(lines) -> str | None:
    """The text after the 姓名 label: in the same box, or in the next box on its right."""
    for line in lines:
        text = names.normalise(line.text)
        if not text.startswith("姓名"):
            continue
        rest = text[2:].lstrip(":：")
        if rest:
            return rest
        top = min(y for _, y in line.box)
        right = max(x for x, _ in line.box)
        height = max(y for _, y in line.box) - top
        beside = [
            other
            for other in lines
            if other is not line
            and abs(min(y for _, y in other.box) - top) < max(height, 1)
            and min(x for x, _ in other.box) >= right - height
        ]
        if beside:
            nearest = min(beside, key=lambda o: min(x for x, _ in o.box))
            return names.normalise(nearest.text) or None
    return None


def check(data: bytes, *, kind: str, name: str = "", id_no: str = "") -> Result:
    """Quality hints and the perceptual hash of every photo; for kind ID_CARD the number and
    the name read and compared with the registered ones (id_no, name); for kind NAME
    whether the registered name appears in the text read."""
    started = time.process_time()
    image = open_upright(data)
    result = Result(kind=kind, quality=quality.hints(image), dhash=dhash.dhash(image))
    if kind in (ID_CARD, NAME):
        from . import ocr  # the OCR engine: only when there is text to read

        reading = ocr.read(image, wanted="id_card" if kind == ID_CARD else "all")
        result.lines = reading.lines
        text = "\n".join(line.text for line in reading.lines)
        if kind == ID_CARD:
            compare_card(result, reading.lines, name=name, id_no=id_no)
        elif name and reading.lines:
            result.name_match = names.appears_in(name, text)
    result.seconds = round(time.process_time() - started, 4)
    return result


def compare_card(result: Result, lines, *, name: str, id_no: str) -> None:
    found = [number for number in (idno.find(line.text) for line in lines) if number]
    valid = [number for number in found if idno.is_valid(number)]
    read = (valid or found or [None])[0]
    result.id_no = read
    result.id_no_valid = idno.is_valid(read) if read else None
    registered = idno.normalise(id_no)
    # A number whose check character fails is a misread as often as not: it is reported
    # as read but not valid, and compared with nothing (未能识别), never as a mismatch.
    if read and result.id_no_valid and registered:
        result.id_no_match = read == registered
    result.name = _name_on_card(lines)
    if name:
        if result.name:
            result.name_match = names.same(result.name, name)
        elif any(names.appears_in(name, line.text) for line in lines):
            result.name, result.name_match = names.normalise(name), True
