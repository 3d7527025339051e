"""The results API's cursor: an opaque string holding the last event id returned."""

from __future__ import annotations

import base64
import binascii

_CURSOR_PREFIX = "r1:"


def encode_cursor(last_id: int) -> str:
    raw = f"{_CURSOR_PREFIX}{last_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The last event id a cursor stands for; ValueError when it is not one of ours."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(cursor) from exc
    if not raw.startswith(_CURSOR_PREFIX):
        raise ValueError(cursor)
    number = raw[len(_CURSOR_PREFIX) :]
    if not number.isascii() or not number.isdigit():
        raise ValueError(cursor)
    return int(number)
