"""Offline OCR with rapidocr-onnxruntime (PP-OCRv4 detection and recognition, ONNX models
inside its wheel: nothing is downloaded, ever). One engine per worker process, one thread:
a pre-check worker is one process per core.

Costs, which shape this module (bench/precheck.py measures them):
- detection grows with the pixels: the photo is read at READ_SIDE px on its long side
  (an ID card filling a phone photo still has text lines ~30 px high there);
- recognition grows with the number and width of the text lines: for an ID card only the
  lines that can hold what is compared are recognised (`wanted="id_card"`): the lines long
  enough for an 18-character number, and the top row of text (姓名 and the name).
The angle classifier is off: photos are uprighted from their EXIF orientation first."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

READ_SIDE = 960
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

    return RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, use_cls=False)


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


def _id_card_boxes(boxes: list[np.ndarray]) -> list[int]:
    """The boxes worth recognising on an ID card: long lines (the number), and the top row
    of text (the name and its label), i.e. boxes whose top is within one line height of the
    highest box's top."""
    keep = {i for i, box in enumerate(boxes) if _ratio(box) >= NUMBER_LINE_RATIO}
    if boxes:
        tops = [float(box[:, 1].min()) for box in boxes]
        heights = [float(np.linalg.norm(box[0] - box[3])) for box in boxes]
        first = min(range(len(boxes)), key=lambda i: tops[i])
        keep |= {i for i in range(len(boxes)) if tops[i] - tops[first] < heights[first]}
    return sorted(keep)


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
    chosen = _id_card_boxes(boxes) if wanted == "id_card" else list(range(len(boxes)))
    lines: list[Line] = []
    for i in chosen:
        result, _ = ocr(_crop(bgr, boxes[i]), use_det=False, use_cls=False, use_rec=True)
        if not result:
            continue
        text, score = result[0][0], float(result[0][1])
        if not text:
            continue
        corners = [[round(float(x) / scale), round(float(y) / scale)] for x, y in boxes[i]]
        lines.append(Line(text=text, score=round(score, 4), box=corners))
    return Reading(lines=lines, seconds=round(time.process_time() - started, 4))
