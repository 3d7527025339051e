"""Offline OCR with rapidocr-onnxruntime (PP-OCRv4 detection and recognition, ONNX models
inside its wheel: nothing is downloaded, ever). One engine per worker process, one thread:
a pre-check worker is one process per core.

Costs, which shape this module (bench/precheck.py measures them):
- detection grows with the pixels: the photo is read at READ_SIDE px on its long side
  (detection 0.63 → 0.24 s from 960 to 640 px, one thread; an ID card filling most of a
  phone photo still has its number ~16 px high there, which the recogniser reads; raise it
  if real photos with small cards are missed);
- recognition grows with the number and width of the text lines: for an ID card only the
  lines that can hold what is compared are recognised (`wanted="id_card"`): the top row of
  text (姓名 and the name) and the lowest line long enough for an 18-character number (where
  the number is on the card); the other long lines only when that one holds no valid number.
The angle classifier is off: photos are uprighted from their EXIF orientation first."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from . import idno

READ_SIDE = 640
# A text line that can hold 18 characters of the number is at least this many times as
# wide as it is high (measured: 9-11 on a card; the date line, 7-8, is read as well).
NUMBER_LINE_RATIO = 6.0


@dataclass(frozen=True)
class Line:
    text: str
    score: float
    box: list[list[int]]  # four corners (x, y) in the pixels of the photo given


@dataclass(frozen=True)
class Reading:
    lines: list[Line]
    seconds: float  # processor time of this read (one thread)


@lru_cache(maxsize=1)
def engine():
    # The optional `precheck` dependency group: only the pre-check worker (and the
    # embedded default) install it, so it is imported when the first photo is read.
    from rapidocr_onnxruntime import RapidOCR

    # det_limit_type="max": the detector takes the photo at the size given (READ_SIDE)
    # instead of enlarging its short side to 736 px.
    return RapidOCR(
        intra_op_num_threads=1, inter_op_num_threads=1, use_cls=False, det_limit_type="max"
    )


def _bgr(image: Image.Image) -> tuple[np.ndarray, float]:
    rgb = image.convert("RGB")
    scale = min(1.0, READ_SIDE / max(rgb.size))
    if scale < 1.0:
        rgb = rgb.resize(
            (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
            Image.Resampling.BILINEAR,
        )
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1]), scale


def _crop(bgr: np.ndarray, box: np.ndarray) -> np.ndarray:
    import cv2  # comes with rapidocr-onnxruntime (the optional group), as above

    box = box.astype(np.float32)
    width = int(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3])))
    height = int(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2])))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(box, target)
    crop = cv2.warpPerspective(
        bgr,
        matrix,
        (max(1, width), max(1, height)),
        borderMode=cv2.BORDER_REPLICATE,
        flags=cv2.INTER_CUBIC,
    )
    if crop.shape[0] * 1.0 / max(1, crop.shape[1]) >= 1.5:
        crop = np.rot90(crop)  # a vertical box: text written downwards
    return np.ascontiguousarray(crop)


def _ratio(box: np.ndarray) -> float:
    width = np.linalg.norm(box[0] - box[1])
    height = max(1.0, float(np.linalg.norm(box[0] - box[3])))
    return float(width / height)


def _id_card_boxes(boxes: list[np.ndarray]) -> tuple[list[int], list[int]]:
    """The boxes worth recognising on an ID card, in two stages: first the top row of text
    (the name and its label: boxes whose top is within one line height of the highest) and
    the lowest long line (the number); then, if needed, the other long lines."""
    if not boxes:
        return [], []
    tops = [float(box[:, 1].min()) for box in boxes]
    heights = [float(np.linalg.norm(box[0] - box[3])) for box in boxes]
    first = min(range(len(boxes)), key=lambda i: tops[i])
    top_row = {i for i in range(len(boxes)) if tops[i] - tops[first] < heights[first]}
    long = [i for i, box in enumerate(boxes) if _ratio(box) >= NUMBER_LINE_RATIO]
    lowest = max(long, key=lambda i: tops[i]) if long else None
    now = top_row | ({lowest} if lowest is not None else set())
    return sorted(now), [i for i in long if i not in now]


def read(image: Image.Image, *, wanted: str = "all") -> Reading:
    """The text lines of an upright photo. wanted="id_card" recognises only the lines an
    ID card check needs (see _id_card_boxes); "all" every line."""
    started = time.process_time()
    ocr = engine()
    bgr, scale = _bgr(image)
    found, _ = ocr(bgr, use_det=True, use_cls=False, use_rec=False)
    boxes = [
        np.array(item[0] if len(item) == 3 else item, dtype=np.float32) for item in found or []
    ]
    if wanted == "id_card":
        chosen, later = _id_card_boxes(boxes)
    else:
        chosen, later = list(range(len(boxes))), []
    lines = [line for i in chosen if (line := _recognise(ocr, bgr, boxes[i], scale))]
    if later and not any(idno.is_valid(idno.find(line.text) or "") for line in lines):
        lines += [line for i in later if (line := _recognise(ocr, bgr, boxes[i], scale))]
    lines.sort(key=lambda line: (line.box[0][1], line.box[0][0]))
    return Reading(lines=lines, seconds=round(time.process_time() - started, 4))


def _recognise(ocr, bgr: np.ndarray, box: np.ndarray, scale: float) -> Line | None:
    result, _ = ocr(_crop(bgr, box), use_det=False, use_cls=False, use_rec=True)
    if not result or not result[0][0]:
        return None
    corners = [[round(float(x) / scale), round(float(y) / scale)] for x, y in box]
    return Line(text=result[0][0], score=round(float(result[0][1]), 4), box=corners)
