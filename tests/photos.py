"""Photo makers for every test of Yishen (and the pipeline benchmark).

Every maker returns the encoded bytes. The picture is the same recognisable scene in all of
them so that tests can check orientation and processing by pixel position:

- a RED block in the top-left corner and a GREEN block in the top-right corner (as the photo
  is meant to be seen, i.e. after its EXIF orientation has been applied),
- dark "text" lines in the middle, over a gradient with tunable noise (the noise sets the
  file size: phone photos are big because sensors are noisy).

The same arguments give the same bytes within a test run (the scene is cached); pass a
different `seed=` for a different photo — the upload refuses the same photo twice in one
category (code "duplicate").

Usage in a test::

    from tests.photos import make_jpeg, upload
    data = make_jpeg(exif_orientation=6, gps=True)
    file = upload(data, "IMG_0001.jpg")   # a SimpleUploadedFile for services and the client
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter
from PIL.PngImagePlugin import PngInfo

RED = (220, 20, 20)
GREEN = (20, 200, 40)
WHITE = (255, 255, 255)

# Orientation n is displayed by applying EXIF_APPLY[n] to the stored pixels (what
# ImageOps.exif_transpose does); the stored pixels are the upright picture with the inverse.
_T = Image.Transpose
EXIF_STORE = {
    2: _T.FLIP_LEFT_RIGHT,
    3: _T.ROTATE_180,
    4: _T.FLIP_TOP_BOTTOM,
    5: _T.TRANSPOSE,
    6: _T.ROTATE_90,  # shown after ROTATE_270 (90° clockwise)
    7: _T.TRANSVERSE,
    8: _T.ROTATE_270,  # shown after ROTATE_90
}

# Noise levels tuned with Pillow's libjpeg-turbo at quality 85 (1600×1200) / 90 (4000×3000).
NOISE_SMALL = 5  # 1600×1200 q85 ≈ 110 KB: a typical valid upload
NOISE_BENCH = 11  # 1600×1200 q85 ≈ 190–200 KB: the upper end of the valid uploads
NOISE_PHONE = 30  # 4000×3000 q90 ≈ 2.8–3 MB: a normal phone photo


def marker_box(width: int, height: int) -> tuple[int, int]:
    """Size of the corner markers for an upright picture of this size."""
    return max(2, width // 8), max(2, height // 8)


@lru_cache(maxsize=16)
def _scene(width: int, height: int, noise: int, seed: int) -> Image.Image:
    # Noise drawn small and scaled up: cheap to make, and compresses like a real photo.
    scale = 3
    sw, sh = max(1, width // scale), max(1, height // scale)
    channels = [
        Image.effect_noise((sw, sh), max(noise, 0) + seed % 3).resize(
            (width, height), Image.Resampling.BILINEAR
        )
        for _ in range(3)
    ]
    noisy = Image.merge("RGB", channels)
    gradient = Image.linear_gradient("L").resize((width, height))
    across = Image.linear_gradient("L").transpose(_T.ROTATE_90).resize((width, height))
    background = Image.merge("RGB", (gradient, across, Image.new("L", (width, height), 190)))
    im = Image.blend(background, noisy, 0.5) if noise > 0 else background
    draw = ImageDraw.Draw(im)
    mw, mh = marker_box(width, height)
    draw.rectangle((0, 0, mw - 1, mh - 1), fill=RED)
    draw.rectangle((width - mw, 0, width - 1, mh - 1), fill=GREEN)
    line_h = max(1, height // 40)
    for i in range(6):
        y = height // 3 + i * line_h * 2
        draw.rectangle(
            (width // 5, y, width * 4 // 5 - i * width // 30, y + line_h - 1), fill=(40, 40, 60)
        )
    return im


def scene(width: int = 1600, height: int = 1200, *, noise: int = NOISE_SMALL, seed: int = 0):
    """The upright picture (RGB), a fresh copy the caller may change."""
    return _scene(width, height, noise, seed).copy()


def _exif(orientation: int | None, gps: bool, camera: bool = True) -> Image.Exif | None:
    if orientation is None and not gps and not camera:
        return None
    exif = Image.Exif()
    if camera:
        exif[0x010F] = "YishenPhone"  # Make
        exif[0x0110] = "Model 12"  # Model
        exif[0x0131] = "TestCamera 1.0"  # Software
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        # GPSInfo IFD: 天津 39°07'N 117°12'E — the kind of thing that must never leave.
        exif[0x8825] = {
            1: "N",
            2: (39.0, 7.0, 30.0),
            3: "E",
            4: (117.0, 12.0, 15.0),
            5: b"\x00",
            6: 12.5,
        }
    return exif


def _stored(im: Image.Image, exif_orientation: int | None) -> Image.Image:
    if exif_orientation and exif_orientation in EXIF_STORE:
        return im.transpose(EXIF_STORE[exif_orientation])
    return im


def _convert(im: Image.Image, mode: str) -> Image.Image:
    if mode == "RGB":
        return im
    if mode == "CMYK":
        return im.convert("CMYK")
    if mode in ("L", "1", "P"):
        return im.convert(mode)
    if mode == "RGBA":
        return im.convert("RGBA")
    raise ValueError(mode)


def make_jpeg(
    width: int = 1600,
    height: int = 1200,
    *,
    quality: int = 85,
    exif_orientation: int | None = None,
    gps: bool = False,
    progressive: bool = False,
    mode: str = "RGB",
    comment: str | bytes | None = None,
    xmp: bytes | None = None,
    icc: bool = False,
    noise: int = NOISE_SMALL,
    seed: int = 0,
    camera_exif: bool = True,
    trailing: bytes = b"",
) -> bytes:
    """A JPEG showing scene(width, height) upright once its EXIF orientation is applied.

    width/height are the DISPLAYED size; with orientation 5–8 the stored pixels are
    height×width. mode: "RGB", "L" (grayscale) or "CMYK". `trailing` appends bytes after the
    end-of-image marker (some phones hide data there)."""
    im = _convert(_stored(scene(width, height, noise=noise, seed=seed), exif_orientation), mode)
    params: dict = {"quality": quality, "progressive": progressive, "optimize": False}
    exif = _exif(exif_orientation, gps, camera_exif)
    if exif is not None:
        params["exif"] = exif
    if comment is not None:
        params["comment"] = comment
    if xmp is not None:
        params["xmp"] = xmp
    if icc:
        params["icc_profile"] = srgb_icc_profile()
    buf = io.BytesIO()
    im.save(buf, "JPEG", **params)
    return buf.getvalue() + trailing


def make_phone_jpeg(*, exif_orientation: int | None = 6, gps: bool = True, seed: int = 0) -> bytes:
    """A 12-megapixel phone photo (4000×3000 as displayed, about 3 MB), taken holding the
    phone upright: stored sideways with orientation 6, GPS and a camera comment."""
    return make_jpeg(
        4000,
        3000,
        quality=90,
        exif_orientation=exif_orientation,
        gps=gps,
        comment="Shot on YishenPhone",
        noise=NOISE_PHONE,
        seed=seed,
    )


def make_typical_jpeg(*, seed: int = 0) -> bytes:
    """A valid upload: 1600×1200, about 110 KB."""
    return make_jpeg(1600, 1200, quality=85, noise=NOISE_SMALL, seed=seed)


def make_blurred_jpeg(*, seed: int = 0) -> bytes:
    """A 1200×800 photo out of focus (Gaussian blur, radius 6): the pre-check's quality
    hint "blurred" (materials/precheck/quality.py), well under the upload limit."""
    im = scene(1200, 800, seed=seed).filter(ImageFilter.GaussianBlur(6))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def make_bench_jpeg(*, seed: int = 0) -> bytes:
    """1600×1200 close to the 200 KB limit (the benchmark's photo)."""
    return fit_under(204_800, width=1600, height=1200, noise=NOISE_BENCH, seed=seed)


def make_png(
    width: int = 800,
    height: int = 600,
    *,
    alpha: bool = False,
    mode: str | None = None,
    text: dict[str, str] | None = None,
    noise: int = 0,
    seed: int = 0,
    exif_orientation: int | None = None,
) -> bytes:
    """A PNG of the scene. alpha=True: RGBA whose right half is fully transparent and whose
    bottom-left quarter is half transparent (flattening must put white behind them).
    text: tEXt/iTXt chunks (metadata that must be stripped)."""
    im = scene(width, height, noise=noise, seed=seed)
    if alpha:
        im = im.convert("RGBA")
        a = Image.new("L", (width, height), 255)
        ImageDraw.Draw(a).rectangle((width // 2, 0, width - 1, height - 1), fill=0)
        ImageDraw.Draw(a).rectangle((0, height * 3 // 4, width // 4, height - 1), fill=128)
        im.putalpha(a)
    elif mode:
        im = _convert(im, mode)
    im = _stored(im, exif_orientation)
    info = PngInfo()
    for key, value in (text or {}).items():
        if value.isascii():
            info.add_text(key, value)
        else:
            info.add_itxt(key, value)
    params: dict = {"pnginfo": info}
    if exif_orientation is not None:
        params["exif"] = _exif(exif_orientation, False, False)
    buf = io.BytesIO()
    im.save(buf, "PNG", **params)
    return buf.getvalue()


def make_progressive_jpeg(width: int = 1600, height: int = 1200, **kwargs) -> bytes:
    return make_jpeg(width, height, progressive=True, **kwargs)


def make_cmyk_jpeg(width: int = 800, height: int = 600, **kwargs) -> bytes:
    return make_jpeg(width, height, mode="CMYK", **kwargs)


def make_grayscale_jpeg(width: int = 800, height: int = 600, **kwargs) -> bytes:
    return make_jpeg(width, height, mode="L", **kwargs)


def make_truncated_jpeg(width: int = 1600, height: int = 1200, *, keep: float = 0.6) -> bytes:
    """A JPEG cut off part-way through the scan (an interrupted upload)."""
    data = make_jpeg(width, height, noise=NOISE_SMALL)
    return data[: int(len(data) * keep)]


def make_truncated_png(width: int = 800, height: int = 600) -> bytes:
    data = make_png(width, height)
    return data[: len(data) * 2 // 3]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def make_png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares width×height pixels (10 gigapixels by default): a
    decompression bomb. Only the first rows are actually present."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(rows, 9))
        + _png_chunk(b"IEND", b"")
    )


def make_real_png_bomb(side: int = 9000) -> bytes:
    """A complete, valid PNG of side×side grayscale zeros: small on disk (≈80 KB for 9000),
    81 megapixels once decoded."""
    raw = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    out = [raw.compress(row) for _ in range(side)]
    out.append(raw.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(out))
        + _png_chunk(b"IEND", b"")
    )


def make_jpeg_bomb_header(width: int = 60_000, height: int = 60_000) -> bytes:
    """A JPEG whose frame header declares a huge size (the data is the small scene's)."""
    data = bytearray(make_jpeg(64, 48, noise=0, camera_exif=False))
    # SOF0: FFC0, length(2), precision(1), height(2), width(2)
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _save(fmt: str, width: int, height: int, **params) -> bytes:
    im = scene(width, height, noise=NOISE_SMALL)
    if fmt == "GIF":
        im = im.convert("P")
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def make_gif(width: int = 400, height: int = 300) -> bytes:
    return _save("GIF", width, height)


def make_bmp(width: int = 200, height: int = 150) -> bytes:
    return _save("BMP", width, height)


def make_webp(width: int = 800, height: int = 600) -> bytes:
    return _save("WEBP", width, height, quality=80)


def make_tiff(width: int = 200, height: int = 150) -> bytes:
    return _save("TIFF", width, height)


def make_pdf(width: int = 400, height: int = 300) -> bytes:
    return _save("PDF", width, height)


def make_heic_like() -> bytes:
    """The first bytes of an iPhone HEIC file (ftyp box, brand heic) with junk after it:
    what a phone sends when the browser cannot convert it. Pillow cannot open it."""
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return struct.pack(">I", len(ftyp) + 4) + ftyp + b"\x00" * 2000


def make_jpeg_exactly(n_bytes: int, *, width: int = 640, height: int = 480) -> bytes:
    """A valid JPEG of exactly n_bytes: the scene padded with COM (comment) segments right
    after SOI. For the byte limit (204,800 allowed, 204,801 refused)."""
    base = make_jpeg(width, height, quality=80, noise=NOISE_SMALL, camera_exif=False)
    missing = n_bytes - len(base)
    if missing < 0:
        raise ValueError(f"the base JPEG is already {len(base)} bytes")
    segments = []
    while missing > 0:
        if missing < 4:
            # A segment needs at least 4 bytes: take some back from the previous one.
            if not segments:
                raise ValueError("cannot pad by fewer than 4 bytes")
            prev = segments.pop()
            missing += len(prev)
            first = missing - 4
            segments.append(_com(first - 4))
            segments.append(_com(0))
            break
        payload = min(missing - 4, 65_533)
        segments.append(_com(payload))
        missing -= payload + 4
    data = base[:2] + b"".join(segments) + base[2:]
    assert len(data) == n_bytes, (len(data), n_bytes)
    return data


def _com(payload_len: int) -> bytes:
    return b"\xff\xfe" + struct.pack(">H", payload_len + 2) + b"y" * payload_len


def fit_under(
    bytes_limit: int,
    *,
    width: int = 1600,
    height: int = 1200,
    noise: int = NOISE_BENCH,
    seed: int = 0,
    **kwargs,
) -> bytes:
    """The highest-quality JPEG of the scene (quality 95 down to 20) at most bytes_limit."""
    data = b""
    for quality in range(95, 15, -5):
        data = make_jpeg(width, height, quality=quality, noise=noise, seed=seed, **kwargs)
        if len(data) <= bytes_limit:
            return data
    raise ValueError(f"cannot fit {width}×{height} under {bytes_limit} bytes")


@lru_cache(maxsize=1)
def srgb_icc_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    """A SimpleUploadedFile as Django's upload handlers would hand it to a view."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def open_image(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def is_red(pixel, tolerance: int = 60) -> bool:
    r, g, b = pixel[:3]
    return r > 255 - tolerance and g < tolerance + 20 and b < tolerance + 20


def is_green(pixel, tolerance: int = 70) -> bool:
    r, g, b = pixel[:3]
    return g > 200 - tolerance and r < tolerance + 20 and b < tolerance + 40


def corner_pixels(im: Image.Image) -> dict[str, tuple]:
    """Pixels inside where the RED (top_left) and GREEN (top_right) markers must be when the
    picture is upright, sampled a little inside the marker to avoid edges and watermarks."""
    im = im.convert("RGB")
    w, h = im.size
    mw, mh = marker_box(w, h)
    return {
        "top_left": im.getpixel((mw // 4, mh // 4)),
        "top_right": im.getpixel((w - 1 - mw // 4, mh // 4)),
        "bottom_left": im.getpixel((mw // 4, h - 1 - mh // 4)),
    }


def is_upright(im: Image.Image) -> bool:
    """The scene is upright: red top-left, green top-right, neither at the bottom."""
    px = corner_pixels(im)
    return is_red(px["top_left"]) and is_green(px["top_right"]) and not is_red(px["bottom_left"])
