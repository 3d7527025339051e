"""The signature of a request to the registration system's API (the results it pulls, the
rosters it pushes): HMAC-SHA256 with the shared secret (settings.YISHEN_ENTRY_SECRET, the
same secret that signs the entry links) over a canonical string; see docs/integration.md,
«审核结果接口 / Results API» and «考生名单接口 / Roster API», for the exact bytes.

A request with a body (POST) signs one more line, the SHA-256 of the body in hex, so the
body cannot be changed under the signature; a GET signs exactly what it always did."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qsl, quote

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

TIMESTAMP_HEADER = "X-Yishen-Timestamp"
SIGNATURE_HEADER = "X-Yishen-Signature"
MAX_SKEW_SECONDS = 300


def canonical_query(query_string: str) -> str:
    """The query as signed: parameters decoded, sorted by name then value, and encoded
    again with only the RFC 3986 unreserved characters left as they are."""
    pairs = sorted(parse_qsl(query_string, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)


# Methods whose requests carry no body: their canonical string has no body line.
BODYLESS_METHODS = ("GET", "HEAD")


def canonical_string(
    *, method: str, path: str, query_string: str, timestamp: str, body: bytes = b""
) -> str:
    lines = [method.upper(), path, canonical_query(query_string), timestamp]
    if method.upper() not in BODYLESS_METHODS:
        lines.append(hashlib.sha256(body).hexdigest())
    return "\n".join(lines)


def sign_request(
    *, secret: str, method: str, path: str, query_string: str, timestamp: str, body: bytes = b""
) -> str:
    """Lower-case hex HMAC-SHA256 of the canonical string (what the client sends)."""
    message = canonical_string(
        method=method, path=path, query_string=query_string, timestamp=timestamp, body=body
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def error_response(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = "Yishen-HMAC-SHA256"
    response.headers["Cache-Control"] = "no-store"
    return response


def check_signature(request: HttpRequest, *, now: float | None = None) -> JsonResponse | None:
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not timestamp or not signature:
        return error_response(
            401,
            "missing_signature",
            _("缺少签名：请在请求头中提供 X-Yishen-Timestamp 与 X-Yishen-Signature。"),
        )
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return error_response(401, "bad_timestamp", _("时间戳格式错误：应为 Unix 秒数（整数）。"))
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return error_response(
            401,
            "stale_timestamp",
            _("时间戳已过期或与服务器时间相差超过 %(seconds)d 秒，请校准时钟后重新签名。")
            % {"seconds": MAX_SKEW_SECONDS},
        )
    expected = sign_request(
        secret=settings.YISHEN_ENTRY_SECRET,
        method=request.method or "GET",
        path=request.path,
        query_string=request.META.get("QUERY_STRING", ""),
        timestamp=timestamp,
        body=b"" if (request.method or "GET") in BODYLESS_METHODS else request.body,
    )
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return error_response(401, "bad_signature", _("签名无效：请检查密钥与待签名字符串。"))
    return None
