"""The ONE upload check. Every upload, from the page with or without JavaScript, goes through
`validate_upload` before anything is stored; a refusal is a ValidationError with a Chinese
message and a code, and nothing is written.

Order: the candidate's upload rate, then cheap checks (the category applies, the lock rule, the count, the byte size),
then the header (inspect_image_bytes): the format is sniffed from the bytes (never the name
or the browser's content type) and the name's extension must agree; the declared pixel size,
and its ratio to the byte size, are checked before any pixel is decoded (decompression
bombs, also small ones); then the duplicate checksum; only then is the image decoded
completely (decode_image: a truncated file is refused). JPEGs are decoded through libjpeg's DCT scaling (draft mode): every byte of
the entropy-coded data is still read, so truncation and corruption are caught, at a fraction
of the cost of a full-size decode.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

from accounts.models import Candidate

from .enums import ImageStatus
from .models import MaterialCategory, MaterialImage
from .rules import category_edit_state
from .selectors import category_for_candidate

logger = logging.getLogger(__name__)

# Pillow format name → our format code, and the file-name extensions that agree with it.
FORMATS: dict[str, str] = {
    "JPEG": "jpeg",
    "MPO": "jpeg",  # phones' multi-picture JPEGs: the first frame is a plain JPEG
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
    "TIFF": "tiff",
}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "png": (".png",),
    "gif": (".gif",),
    "webp": (".webp",),
    "bmp": (".bmp",),
    "tiff": (".tif", ".tiff"),
}
FORMAT_LABELS = {
    "jpeg": "JPG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WebP",
    "bmp": "BMP",
    "tiff": "TIFF",
}
# Pillow decoders allowed to look at an upload at all; anything else is "unrecognised". No
# "MPO": Pillow's JPEG opener itself answers an MPO file with format "MPO", and Pillow 13 no
# longer registers an MPO opener of its own (naming it raised KeyError on every file that
# no decoder before it recognised).
_OPEN_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")

HEIC_MESSAGE = gettext_lazy(
    "这是苹果手机的 HEIC/HEIF 格式照片，系统无法识别。请在手机「设置 › 相机 › 格式」中选择"
    "「兼容性最佳」后重新拍摄，或先截图、转换为 JPG 格式后再上传。"
)


def max_pixels() -> int:
    return int(settings.YISHEN_MAX_IMAGE_PIXELS)


@dataclass(frozen=True)
class CheckedUpload:
    data: bytes
    format: str  # "jpeg", "png", …
    width: int  # as stored (before the EXIF orientation)
    height: int
    size_bytes: int
    sha256: str
    extension: str  # the one we store under: ".jpg", ".png", …


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return _("%(mb).1f MB") % {"mb": n / 1024 / 1024}
    return _("%(kb)s KB") % {"kb": f"{n / 1024:.0f}" if n >= 10240 else f"{n / 1024:.1f}"}


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _too_large(size: int, max_bytes: int) -> ValidationError:
    return _refuse(
        _(
            "文件大小为 %(size)s（%(bytes)s 字节），超过了 %(limit)s（%(limit_bytes)s 字节）的限制。"
            "请缩小照片后再上传。"
        )
        % {
            "size": human_size(size),
            "bytes": f"{size:,}",
            "limit": human_size(max_bytes),
            "limit_bytes": f"{max_bytes:,}",
        },
        "too_large",
    )


def format_list(formats) -> str:
    return "/".join(FORMAT_LABELS.get(f, f.upper()) for f in formats)


# The format refusals, the page's script says them too (materials.views._js_strings passes
# them with {placeholders}): one wording, whichever side finds the file wrong.
def not_allowed_text(*, formats_label: str, actual_label: str) -> str:
    return _("本项材料只接受 %(formats)s 格式的照片，您选择的文件是 %(actual)s 格式。") % {
        "formats": formats_label,
        "actual": actual_label,
    }


def pdf_text(*, formats_label: str) -> str:
    return _("不接受 PDF 文件。请上传 %(formats)s 格式的照片（可将文件拍照或截图后上传）。") % {
        "formats": formats_label
    }


def empty_text() -> str:
    return _("文件是空的，请重新选择照片。")


def unrecognised_text(*, formats_label: str) -> str:
    return _("无法识别该文件，请上传 %(formats)s 格式的照片。") % {"formats": formats_label}


def _sniff_other(head: bytes) -> str | None:
    if head[4:8] == b"ftyp" and head[8:12] in (
        b"heic",
        b"heix",
        b"hevc",
        b"heim",
        b"heis",
        b"mif1",
        b"msf1",
        b"avif",
    ):
        return "heic"
    if head.startswith(b"%PDF"):
        return "pdf"
    return None


def _read_all(file, limit: int) -> bytes:
    file.seek(0)
    data = file.read(limit + 1)
    file.seek(0)
    return data


def _unreadable(allowed) -> ValidationError:
    return _refuse(unrecognised_text(formats_label=format_list(allowed)), "format")


def _broken() -> ValidationError:
    return _refuse(_("图片文件不完整或已损坏，无法打开。请重新拍摄或重新保存后再上传。"), "corrupt")


def _too_many_pixels(width: int, height: int) -> ValidationError:
    return _refuse(
        _("图片尺寸 %(w)s×%(h)s 像素过大（不能超过 %(max)s 万像素），请缩小后再上传。")
        % {"w": width, "h": height, "max": max_pixels() // 10_000},
        "pixels",
    )


# A decompression bomb can be small on disk: 72 KB of PNG that declares 5000×5000 pixels
# decodes to 100 MB. Photos carry far more bytes per pixel (a phone JPEG about one byte for
# every 4 to 10 pixels); a big image with less than one byte for every MAX_PIXELS_PER_BYTE
# pixels is nearly blank or a bomb, and is refused from its header above RATIO_FREE_PIXELS
# (a page screenshot of a phone stays below that). Below it a full decode costs at most
# 16 MB, whatever the file.
RATIO_FREE_PIXELS = 4_000_000
MAX_PIXELS_PER_BYTE = 64


@dataclass(frozen=True)
class Inspected:
    """What the header says, read without decoding a pixel."""

    data: bytes
    format: str
    width: int
    height: int
    sha256: str


def inspect_image_bytes(*, data: bytes, name: str, formats, max_bytes: int) -> Inspected:
    """The cheap part of the content check, from the header alone: the byte size, the format
    sniffed from the first bytes (never the name), the name's extension, the declared pixel
    count and its ratio to the byte size, and the checksum. Nothing is decoded."""
    size = len(data)
    if size == 0:
        raise _refuse(empty_text(), "empty")
    if size > max_bytes:
        raise _too_large(size, max_bytes)
    other = _sniff_other(data[:16])
    if other == "heic":
        raise _refuse(HEIC_MESSAGE, "heic")
    allowed = list(formats or ["jpeg", "png"])
    if other == "pdf":
        raise _refuse(pdf_text(formats_label=format_list(allowed)), "format")
    try:
        with warnings.catch_warnings():
            # We check the declared size ourselves, right below, before decoding anything.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except Image.DecompressionBombError:
        raise _refuse(
            _("图片尺寸过大（不能超过 %(max)s 万像素），请缩小后再上传。")
            % {"max": max_pixels() // 10_000},
            "pixels",
        ) from None
    except UnidentifiedImageError:
        raise _unreadable(allowed) from None
    except Exception as exc:
        # Pillow's header parsers answer hostile bytes with many kinds of exception (OSError,
        # SyntaxError, struct.error, but also IndexError, KeyError …): each is a file we
        # cannot read, never a server error.
        logger.info("upload header unreadable: %s: %s", type(exc).__name__, exc)
        raise _broken() from None
    with im:
        fmt = FORMATS.get(im.format or "")
        if fmt is None:
            raise _unreadable(allowed)
        width, height = im.size
    if fmt not in allowed:
        raise _refuse(
            not_allowed_text(formats_label=format_list(allowed), actual_label=FORMAT_LABELS[fmt]),
            "format",
        )
    dot = name.rfind(".")
    extension = name[dot:].lower() if dot != -1 else ""
    if extension and extension not in EXTENSIONS[fmt]:
        raise _refuse(
            _(
                "文件扩展名是 %(ext)s，但文件内容是 %(actual)s 格式的图片，二者不一致。"
                "请用 %(formats)s 格式重新保存后再上传。"
            )
            % {"ext": extension, "actual": FORMAT_LABELS[fmt], "formats": format_list(allowed)},
            "extension",
        )
    if width <= 0 or height <= 0:
        raise _broken()
    pixels = width * height
    if pixels > max_pixels():
        raise _too_many_pixels(width, height)
    if pixels > RATIO_FREE_PIXELS and pixels > size * MAX_PIXELS_PER_BYTE:
        raise _refuse(
            _(
                "图片尺寸为 %(w)s×%(h)s 像素，文件却只有 %(size)s，不像是一张正常的照片"
                "（可能是空白或异常的图片）。请重新拍摄，或缩小尺寸后再上传。"
            )
            % {"w": width, "h": height, "size": human_size(size)},
            "pixels",
        )
    return Inspected(
        data=data,
        format=fmt,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def decode_image(inspected: Inspected) -> CheckedUpload:
    """The expensive part: the container is verified and every pixel decoded, so a truncated
    or corrupt file is refused here. Only after inspect_image_bytes (and, for an upload, the
    duplicate check) has passed."""
    data, width, height = inspected.data, inspected.width, inspected.height
    try:
        # verify() checks the container (PNG chunk CRCs …); it leaves the image unusable,
        # so the full decode opens it again.
        with Image.open(io.BytesIO(data), formats=_OPEN_FORMATS) as im:
            im.verify()
        with Image.open(io.BytesIO(data), formats=_OPEN_FORMATS) as im:
            if im.format in ("JPEG", "MPO"):
                im.draft(im.mode if im.mode in ("RGB", "L") else None, (width // 8, height // 8))
            im.load()
    except Image.DecompressionBombError:
        raise _too_many_pixels(width, height) from None
    except Exception as exc:
        # As in inspect_image_bytes: whatever a decoder raises, the file is broken.
        logger.info("upload cannot be decoded: %s: %s", type(exc).__name__, exc)
        raise _broken() from None
    return CheckedUpload(
        data=data,
        format=inspected.format,
        width=width,
        height=height,
        size_bytes=len(data),
        sha256=inspected.sha256,
        extension=EXTENSIONS[inspected.format][0],
    )


def check_image_bytes(*, data: bytes, name: str, formats, max_bytes: int) -> CheckedUpload:
    """The whole content check (also used by the admin for example images)."""
    return decode_image(
        inspect_image_bytes(data=data, name=name, formats=formats, max_bytes=max_bytes)
    )


# Example images and attachments (the admin): operators' files, public once saved, so they
# go through the same content checks as candidates' photos.
EXAMPLE_MAX_BYTES = 2 * 1024 * 1024
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc / .xls (OLE compound file)
_ZIP = b"PK\x03\x04"  # .docx / .xlsx (Office Open XML is a zip)
ATTACHMENT_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".doc": (_OLE,),
    ".xls": (_OLE,),
    ".docx": (_ZIP,),
    ".xlsx": (_ZIP,),
}


def example_image_check(*, data: bytes, name: str) -> CheckedUpload:
    """An example picture: a JPG or PNG photo, checked like a candidate's."""
    return check_image_bytes(
        data=data, name=name, formats=["jpeg", "png"], max_bytes=EXAMPLE_MAX_BYTES
    )


def attachment_check(*, data: bytes, name: str) -> None:
    """A form to download: its content must be what its extension says (it is served with
    the content type of the extension), a picture passes the photo check."""
    dot = name.rfind(".")
    extension = name[dot:].lower() if dot != -1 else ""
    if len(data) > ATTACHMENT_MAX_BYTES:
        raise _too_large(len(data), ATTACHMENT_MAX_BYTES)
    if extension in (".png", ".jpg", ".jpeg"):
        check_image_bytes(
            data=data, name=name, formats=["jpeg", "png"], max_bytes=ATTACHMENT_MAX_BYTES
        )
        return
    mismatch = _refuse(
        _("附件内容与扩展名 %(ext)s 不符，请上传真正的 %(ext)s 文件。") % {"ext": extension},
        "attachment",
    )
    if extension == ".txt":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise mismatch from None
        if "\x00" in text:
            raise mismatch
        return
    signatures = ATTACHMENT_SIGNATURES.get(extension)
    if signatures is None or not data.startswith(signatures):
        raise mismatch


def upload_rate_check(*, candidate: Candidate, now: datetime) -> None:
    """At most YISHEN_UPLOADS_PER_WINDOW files per candidate in each window of
    YISHEN_UPLOAD_WINDOW_SECONDS, refused or not (a refused file costs as much to check).
    A counter in the cache per candidate and window; while the cache is away (Redis down:
    django-redis answers None) the limit is not applied rather than refusing everyone."""
    window = int(settings.YISHEN_UPLOAD_WINDOW_SECONDS)
    limit = int(settings.YISHEN_UPLOADS_PER_WINDOW)
    stamp = int(now.timestamp())
    key = f"materials:uploads:{candidate.pk}:{stamp // window}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add and incr: a new window
        count = 1
    if count is not None and count > limit:
        minutes = max(1, -(-(window - stamp % window) // 60))
        raise _refuse(
            _(
                "上传过于频繁：每 %(window)s 分钟最多上传 %(limit)s 个文件。"
                "请 %(minutes)s 分钟后再试。"
            )
            % {"window": window // 60, "limit": limit, "minutes": minutes},
            "rate",
        )


def validate_upload(
    *,
    candidate: Candidate,
    category: MaterialCategory,
    file,
    categories: list[MaterialCategory],
    photos: list[MaterialImage],
    now: datetime | None = None,
) -> CheckedUpload:
    """Everything that decides whether this file may go into this category now.

    `file` is an UploadedFile (or any file object with .name). `categories`: the candidate's
    categories (materials.selectors.categories_for_candidate). `photos`: the candidate's
    current photos in this category, read with the candidate row locked (the upload service
    does), so that two parallel uploads cannot both take the last place."""
    now = now or timezone.now()
    upload_rate_check(candidate=candidate, now=now)
    if category_for_candidate(candidate, category.pk, categories) is None:
        raise _refuse(_("该材料类别不适用于您，无法上传。"), "category")
    state = category_edit_state(candidate=candidate, category=category, now=now)
    if not state.can_add:
        raise _refuse(state.reason or _("内容已锁定，无法上传。"), "locked")
    # A RETURNED photo is replaced by the upload, so only the others take a place.
    kept = [photo for photo in photos if photo.status != ImageStatus.RETURNED]
    if len(kept) >= category.max_count:
        raise _refuse(
            _("「%(name)s」最多上传 %(max)s 张，已经传满。如需更换，请先删除再上传。")
            % {"name": category.localized_name, "max": category.max_count},
            "count",
        )
    size = getattr(file, "size", None)
    if size is not None and size > category.max_bytes:
        # Refuse before reading a big file into memory.
        raise _too_large(size, category.max_bytes)
    data = _read_all(file, category.max_bytes)
    inspected = inspect_image_bytes(
        data=data,
        name=getattr(file, "name", "") or "",
        formats=category.formats,
        max_bytes=category.max_bytes,
    )
    # The same file twice in one category is a slip of the finger (a double tap, the same
    # photo chosen again), never what a reviewer needs. Checked before the decode, so a
    # re-post costs a checksum, not a decode.
    if any(photo.sha256 == inspected.sha256 for photo in kept):
        raise _refuse(
            _("这张照片已经上传过了，请选择另一张照片。"),
            "duplicate",
        )
    return decode_image(inspected)
