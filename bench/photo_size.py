#!/usr/bin/env python
"""How legible a certificate photo stays when the upload page shrinks it under 200 KB: the
old rule (at most 1600 px, qualities 0.85 → 0.55, then 0.8× smaller) against the rule of
materials/photosize.py (at most 2000 px, the quality chosen by the bytes, smaller only when
even the floor quality does not fit), and a sweep of fixed sizes at the best quality that fits.

    .venv/bin/python bench/photo_size.py               # 2000×1500 and 4000×3000
    .venv/bin/python bench/photo_size.py --save /tmp/out  # also writes the JPEGs to look at

The certificate is drawn with Pillow and the project's CJK font: a title, 48 lines of small
print at 10, 11 and 12 px (at 2000 px wide; twice that at 4000), a red stamp over the text
with a 10-px serial number, then made to look photographed (uneven light, a little optical
blur, sensor noise: a busy photo, over 1 MB as a JPEG at quality 92). Both rules are run in
Pillow (libjpeg-turbo, 4:2:0, as Chromium's canvas.toBlob); the page's script applies the
same numbers (static/materials/page.js).

Legibility, two proxies: OCR (rapidocr-onnxruntime, the pre-check's engine, at the photo's
own size) — the share of the small print's characters read in order, and whether the
stamp's serial number is read exactly — and SSIM of the result, enlarged back, against the
drawn certificate (grey levels, 11-px Gaussian window).
"""

from __future__ import annotations

import argparse
import difflib
import io
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter, ImageFont  # noqa: E402

from materials import photosize  # noqa: E402

FONT = ROOT / "materials" / "fonts" / "NotoSansSC-Regular-GB2312.otf"
MAX_BYTES = 204_800
SERIAL = "No.370102201907001"
PHRASES = [
    "兹证明{name}同志，性别{sex}，{y}年{m}月{d}日出生，身份证号码{idno}，",
    "于{y2}年{m}月毕业于{school}{major}专业，学制五年，修完教学计划规定的全部课程，",
    "成绩合格，准予毕业。证书编号{no}，学位授予单位代码{code}，",
    "经{y3}年度医师资格考试合格，取得执业医师资格，执业类别为临床，执业范围为内科专业，",
    "本证书由国家卫生健康委员会统一印制，在中华人民共和国境内有效，涂改无效。",
    "注册日期{y3}年{m}月{d}日，主要执业机构{hospital}，发证机关{office}。",
]
NAMES = ["张建国", "李秀英", "王志强", "刘海燕", "陈晓东", "杨丽华", "赵明远", "周雪梅"]
SCHOOLS = ["山东第一医科大学", "天津医科大学", "河北医科大学", "济南医学高等专科学校"]
HOSPITALS = ["济南市第三人民医院", "青岛市中心医院", "天津市第一中心医院", "石家庄市人民医院"]
OFFICES = ["济南市卫生健康委员会", "青岛市卫生健康委员会", "天津市卫生健康委员会"]


def font(px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), max(1, round(px)))


def small_print(n: int) -> list[str]:
    lines = []
    for i in range(n):
        lines.append(
            PHRASES[i % len(PHRASES)].format(
                name=NAMES[i % len(NAMES)],
                sex="男女"[i % 2],
                y=1985 + i % 10,
                y2=2008 + i % 10,
                y3=2015 + i % 9,
                m=1 + i % 12,
                d=1 + (i * 7) % 28,
                idno=f"3701021990{(i * 37) % 100:02d}0{(i * 53) % 1000:03d}X"[:18],
                school=SCHOOLS[i % len(SCHOOLS)],
                major="临床医学",
                no=f"1{(i * 7919) % 10**9:09d}",
                code=f"{10000 + i * 131}",
                hospital=HOSPITALS[i % len(HOSPITALS)],
                office=OFFICES[i % len(OFFICES)],
            )
        )
    return lines


def certificate(width: int, height: int):
    """The drawn certificate (RGB) and its small print, (text, box) line by line, the
    stamp's serial number last."""
    s = width / 2000
    # Certificate paper carries a fine security pattern (guilloche): what makes its photo
    # expensive in JPEG bytes, and what the small print sits on.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32) / s
    wave = np.sin(xx / 3.1 + 6 * np.sin(yy / 37.0)) * np.sin(yy / 2.7 + 5 * np.sin(xx / 53.0))
    tint = np.array([246, 241, 228], np.float32) - (14 * (wave + 1))[:, :, None] * np.array(
        [0.4, 0.9, 1.0], np.float32
    )
    paper = Image.fromarray(tint.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(paper)
    draw.rectangle(
        (40 * s, 40 * s, width - 40 * s, height - 40 * s),
        outline=(150, 110, 60),
        width=round(6 * s),
    )
    title = "医师资格证书"
    f = font(72 * s)
    draw.text(
        ((width - draw.textlength(title, font=f)) / 2, 90 * s), title, font=f, fill=(30, 30, 30)
    )
    lines = []
    sizes = (10, 11, 12)
    for i, text in enumerate(small_print(48)):
        column, row = divmod(i, 24)
        x, y, px = (110 + column * 930) * s, (260 + row * 40) * s, sizes[i % 3] * s
        text = text[:40]
        f = font(px)
        draw.text((x, y), text, font=f, fill=(25, 25, 35))
        lines.append((text, (x, y - 0.2 * px, x + draw.textlength(text, font=f), y + 1.5 * px)))
    # The red stamp, over the text as ink is: darker where both are.
    stamp = Image.new("L", (width, height), 0)
    sd = ImageDraw.Draw(stamp)
    cx, cy, r = 1560 * s, 1120 * s, 150 * s
    sd.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=round(7 * s))
    star = [
        (
            cx + 45 * s * math.cos(math.radians(-90 + k * 36)) * (1 if k % 2 == 0 else 0.4),
            cy
            - 20 * s
            + 45 * s * math.sin(math.radians(-90 + k * 36)) * (1 if k % 2 == 0 else 0.4),
        )
        for k in range(10)
    ]
    sd.polygon(star, fill=255)
    for text, px, dy in (
        ("济南市卫生健康委员会", 20, -95),
        ("证书专用章", 22, 45),
        (SERIAL, 12, 85),
    ):
        f = font(px * s)
        x, y = cx - sd.textlength(text, font=f) / 2, cy + dy * s
        sd.text((x, y), text, font=f, fill=255)
    # The serial number: read like a line of small print, red on the pattern.
    lines.append((SERIAL, (x, y - 2 * s, x + sd.textlength(SERIAL, font=f), y + 15 * s)))
    red = Image.new("RGB", (width, height), (205, 30, 35))
    inked = Image.composite(red, paper, stamp.point(lambda v: v * 85 // 100))
    return inked, lines


def photographed(drawn: Image.Image, noise: float, seed: int = 1) -> Image.Image:
    """Uneven light, a little optical blur, sensor noise."""
    w, h = drawn.size
    rng = np.random.default_rng(seed)
    pixels = np.asarray(drawn.filter(ImageFilter.GaussianBlur(0.6 * w / 2000)), dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 - 0.18 * (((xx - 0.35 * w) / w) ** 2 + ((yy - 0.3 * h) / h) ** 2)
    pixels = pixels * light[:, :, None] + rng.normal(0, noise, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


# --- the rules -------------------------------------------------------------------------------


def jpeg(image: Image.Image, quality: float) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=round(quality * 100))
    return out.getvalue()


def scaled(image: Image.Image, longest: int) -> Image.Image:
    w, h = image.size
    k = min(1.0, longest / max(w, h))
    return image.resize((max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.LANCZOS)


def old_rule(image: Image.Image, max_bytes: int):
    """static/materials/page.js `shrink` before this change, in Pillow."""
    long_side = max(image.size)
    size = min(long_side, round(1600 * min(math.sqrt(max_bytes / 204800), 2.5)))
    qualities = [0.85, 0.75, 0.65, 0.55]
    qi, attempt = 0, 0
    while True:
        attempt += 1
        small = scaled(image, size)
        data = jpeg(small, qualities[qi])
        if len(data) <= max_bytes:
            return data, small.size, qualities[qi], attempt
        if attempt > 24 or size < 320:
            return None
        if qi + 1 < len(qualities):
            qi += 1
        else:
            size, qi = round(size * 0.8), 1


def new_rule(image: Image.Image, max_bytes: int):
    fitted = photosize.fit_jpeg(image, max_bytes)
    return fitted.data, (fitted.width, fitted.height), fitted.quality, fitted.encodings


def best_at(longest: int):
    """A fixed size at the highest quality (hundredths, 0.20–0.95) that fits."""

    def rule(image: Image.Image, max_bytes: int):
        small = scaled(image, longest)
        low, high, best, n = 19, 96, None, 0
        while high - low > 1:
            q = (low + high) // 2
            data = jpeg(small, q / 100)
            n += 1
            if len(data) <= max_bytes:
                low, best = q, (data, small.size, q / 100, n)
            else:
                high = q
        return best

    return rule


# --- legibility ------------------------------------------------------------------------------


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    import cv2  # comes with rapidocr-onnxruntime

    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x):
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    ma, mb = blur(a), blur(b)
    va, vb, cov = blur(a * a) - ma * ma, blur(b * b) - mb * mb, blur(a * b) - ma * mb
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return float(s.mean())


_engine = None


def recognise(crop: Image.Image) -> str:
    """The pre-check's recogniser on one line (no detection: a reviewer knows where to look)."""
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR

        _engine = RapidOCR(use_cls=False, intra_op_num_threads=1, inter_op_num_threads=1)
    bgr = np.ascontiguousarray(np.asarray(crop.convert("RGB"))[:, :, ::-1])
    result, _ = _engine(bgr, use_det=False, use_cls=False, use_rec=True)
    return "".join(str(item[0]) for item in (result or [])).replace(" ", "")


def legibility(image: Image.Image, source_width: int, lines) -> tuple[float, bool]:
    """The share of the small print's characters read, in order, and whether the stamp's
    serial number is read exactly."""
    k = image.width / source_width
    found = total = 0
    serial_read = False
    for text, (x0, y0, x1, y1) in lines:
        pad = 0.25 * (y1 - y0)
        box = tuple(round(v * k) for v in (x0 - pad, y0 - pad, x1 + pad, y1 + pad))
        read = recognise(image.crop(box))
        if text == SERIAL:
            serial_read = read.upper() == SERIAL.upper()
            continue
        matcher = difflib.SequenceMatcher(None, text, read, autojunk=False)
        found += sum(block.size for block in matcher.get_matching_blocks())
        total += len(text)
    return found / total, serial_read


def text_area(lines, k: float = 1.0) -> tuple[int, int, int, int]:
    x0 = min(b[0] for _t, b in lines[:-1])
    y0 = min(b[1] for _t, b in lines[:-1])
    x1 = max(b[2] for _t, b in lines[:-1])
    y1 = max(b[3] for _t, b in lines[:-1])
    return tuple(round(v * k) for v in (x0, y0, x1, y1))


def measure(name, rule, photo, drawn_grey, lines, save):
    started = time.process_time()
    result = rule(photo, MAX_BYTES)
    seconds = time.process_time() - started
    if result is None:
        print(f"  {name:18} does not fit")
        return
    data, (w, h), quality, encodings = result
    out = Image.open(io.BytesIO(data)).convert("RGB")
    back = out.convert("L").resize(drawn_grey.size, Image.Resampling.BICUBIC)
    area = text_area(lines)
    similarity = ssim(np.asarray(back.crop(area)), np.asarray(drawn_grey.crop(area)))
    share, serial = legibility(out, photo.width, lines)
    print(
        f"  {name:18}{w:>5}×{h:<5}{len(data):>9,}{quality:>6.2f}{encodings:>5}{seconds:>7.2f}"
        f"{similarity:>8.3f}{100 * share:>8.1f}{'yes' if serial else 'no':>7}",
        flush=True,
    )
    if save:
        save.mkdir(parents=True, exist_ok=True)
        (
            save / f"{photo.width}-{name.split(' (')[0].replace(' ', '_').replace(',', '')}.jpg"
        ).write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000x1500,4000x3000")
    parser.add_argument(
        "--noise", type=float, default=7.0, help="sensor noise (grey levels, σ); 12: a dim room"
    )
    parser.add_argument("--save", type=Path, help="write the results here")
    parser.add_argument("--no-sweep", action="store_true", help="only the old and the new rule")
    args = parser.parse_args()
    rules = [("old (≤1600 px)", old_rule), ("new (photosize)", new_rule)]
    if not args.no_sweep:
        rules += [(f"{n} px, best q", best_at(n)) for n in (1024, 1280, 1600, 1800, 2000)]
    print(
        f"limit {MAX_BYTES:,} bytes; new rule: longest {photosize.LONGEST} px, quality "
        f"{photosize.QUALITY_TOP}…{photosize.QUALITY_FLOOR}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for spec in args.sizes.split(","):
        width, height = map(int, spec.split("x"))
        drawn, lines = certificate(width, height)
        photo = photographed(drawn, args.noise)
        grey = drawn.convert("L")
        area = text_area(lines)
        print(
            f"\n{width}×{height} photo, noise σ {args.noise:g} ({len(jpeg(photo, 0.92)):,} bytes as a q92 JPEG)\n"
            f"  {'rule':18}{'result':>11}{'bytes':>9}{'q':>6}{'enc':>5}{'cpu s':>7}"
            f"{'SSIM':>8}{'OCR %':>8}{'stamp':>7}"
        )
        share, serial = legibility(photo, width, lines)
        print(
            f"  {'(the photo itself)':18}{width:>5}×{height:<5}{'':9}{'':6}{'':5}{'':7}"
            f"{ssim(np.asarray(photo.convert('L').crop(area)), np.asarray(grey.crop(area))):>8.3f}"
            f"{100 * share:>8.1f}{'yes' if serial else 'no':>7}"
        )
        for name, rule in rules:
            measure(name, rule, photo, grey, lines, args.save)


if __name__ == "__main__":
    main()
