"""The results API the registration system pulls: `GET /api/v1/results?since=CURSOR`.

Machine to machine. Each request is signed with HMAC-SHA256 and the shared secret
(settings.YISHEN_ENTRY_SECRET, the same secret that signs the entry links) over a canonical
string; see docs/integration.md, «审核结果接口 / Results API», for the exact bytes.

A result change is a candidate status change: a ReviewEvent of one of the candidate
decisions below whose to_status differs from its from_status. Pages go by event id; the
cursor is an opaque string holding the last id returned. This module only reads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, quote

from django.conf import settings
from django.db.models import F, Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.enums import CandidateStatus
from accounts.models import Province

from .enums import EventAction
from .models import Feedback, ReviewEvent

# The candidate decisions and submissions: the only events that can change a result.
# (Image events may carry image states in from/to_status; they are never results.)
STATUS_ACTIONS = (
    EventAction.SUBMIT,
    EventAction.AUTO_SUBMIT,
    EventAction.DEADLINE_SUBMIT,
    EventAction.RESUBMIT,
    EventAction.SITE_PASS,
    EventAction.SITE_RETURN,
    EventAction.PROVINCE_APPROVE,
    EventAction.PROVINCE_RETURN,
    EventAction.PROVINCE_RETURN_TO_SITE,
    EventAction.REJECT,
)
# Results that come with reasons for the candidate (from the Feedback of the same decision).
STATUSES_WITH_REASONS = (CandidateStatus.RETURNED, CandidateStatus.REJECTED)

TIMESTAMP_HEADER = "X-Yishen-Timestamp"
SIGNATURE_HEADER = "X-Yishen-Signature"
MAX_SKEW_SECONDS = 300
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
_CURSOR_PREFIX = "r1:"


# --- Signing --------------------------------------------------------------------------------


def canonical_query(query_string: str) -> str:
    """The query as signed: parameters decoded, sorted by name then value, and encoded
    again with only the RFC 3986 unreserved characters left as they are."""
    pairs = sorted(parse_qsl(query_string, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)


def canonical_string(*, method: str, path: str, query_string: str, timestamp: str) -> str:
    return "\n".join([method.upper(), path, canonical_query(query_string), timestamp])


def sign_request(*, secret: str, method: str, path: str, query_string: str, timestamp: str) -> str:
    """Lower-case hex HMAC-SHA256 of the canonical string (what the client sends)."""
    message = canonical_string(
        method=method, path=path, query_string=query_string, timestamp=timestamp
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = "Yishen-HMAC-SHA256"
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_signature(request: HttpRequest, *, now: float | None = None) -> JsonResponse | None:
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not timestamp or not signature:
        return _error(
            401,
            "missing_signature",
            _("缺少签名：请在请求头中提供 X-Yishen-Timestamp 与 X-Yishen-Signature。"),
        )
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return _error(401, "bad_timestamp", _("时间戳格式错误：应为 Unix 秒数（整数）。"))
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return _error(
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
    )
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return _error(401, "bad_signature", _("签名无效：请检查密钥与待签名字符串。"))
    return None


# --- Cursor ---------------------------------------------------------------------------------


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


# --- Reading --------------------------------------------------------------------------------


def status_change_q() -> Q:
    """ReviewEvent rows that are result changes (also the bare query of bench/review.py)."""
    return Q(action__in=STATUS_ACTIONS) & ~Q(to_status="") & ~Q(to_status=F("from_status"))


def result_changes(
    *, after_id: int, limit: int, province_code: str | None = None, settled_before: datetime
) -> tuple[list[dict], int, bool]:
    """Up to `limit` result changes after event `after_id`, as API rows; returns
    (rows, last_id, has_more). One query whatever the page size, plus one for the province
    code and one for Feedback when a return or refusal did not record its reasons.

    Event ids come from a sequence at insert time, so a slow transaction can commit an id
    below one already returned. Only events older than `settled_before` are handed out, and
    a page stops at the first newer one (never skipping past it), so a reader that keeps
    its cursor never misses a row of a transaction shorter than the settle time."""
    queryset = ReviewEvent.objects.filter(status_change_q(), id__gt=after_id).order_by("id")
    if province_code:
        # By id, not through a join on the code: the planner then knows how many candidates
        # the province holds and walks the events by id instead of the whole candidate table.
        province_id = (
            Province.objects.filter(code=province_code).values_list("id", flat=True).first()
        )
        if province_id is None:
            return [], after_id, False
        queryset = queryset.filter(candidate__province_id=province_id)
    events = list(
        queryset.values(
            "id",
            "candidate_id",
            "action",
            "to_status",
            "created_at",
            "data",
            "candidate__reg_no",
            "candidate__exam_year__year",
            "candidate__province__code",
            "candidate__site__code",
            "candidate__category__code",
        )[: limit + 1]
    )
    has_more = len(events) > limit
    events = events[:limit]
    for index, event in enumerate(events):
        if event["created_at"] >= settled_before:
            events = events[:index]
            has_more = False  # the rest is not settled yet: come back in a few seconds
            break
    last_id = events[-1]["id"] if events else after_id
    for event in events:
        event["recorded"] = (
            _reasons_in_event(event["data"])
            if event["to_status"] in STATUSES_WITH_REASONS
            else None
        )
    feedback = _feedback_for(
        e for e in events if e["to_status"] in STATUSES_WITH_REASONS and e["recorded"] is None
    )
    rows = []
    labels = {value: str(label) for value, label in CandidateStatus.choices}  # once, not per row
    tz = timezone.get_current_timezone()
    for event in events:
        status = event["to_status"]
        reasons: list[str] = []
        message = ""
        if event["recorded"] is not None:
            reasons, message = event["recorded"]
        elif status in STATUSES_WITH_REASONS:
            match = _closest_feedback(feedback, event)
            if match is not None:
                reasons, message = feedback_reasons(match["items"]), match["message"]
        rows.append(
            {
                "reg_no": event["candidate__reg_no"],
                "year": event["candidate__exam_year__year"],
                "province": event["candidate__province__code"],
                "site": event["candidate__site__code"],
                "category": event["candidate__category__code"],
                "status": status,
                "status_label": labels.get(status, status),
                "changed_at": event["created_at"].astimezone(tz).isoformat(),
                "reasons": reasons,
                "message": message,
            }
        )
    return rows, last_id, has_more


def _reasons_in_event(data) -> tuple[list[str], str] | None:
    """The reasons as the decision recorded them in its own event: review.services writes
    the items and message of a return, and the reason of a refusal, into the event's data
    (the same content as the Feedback the candidate reads). None when the event has none."""
    if not isinstance(data, dict) or not {"items", "message", "reason"} & data.keys():
        return None
    message = data.get("message") or data.get("reason") or ""
    return feedback_reasons(data.get("items")), str(message).strip()


def _feedback_for(events: Iterable[dict]) -> dict[int, list[dict]]:
    """Feedback rows for events that do not carry their reasons (older or hand-made rows)."""
    wanted = list(events)
    if not wanted:
        return {}
    rows = Feedback.objects.filter(
        candidate_id__in={e["candidate_id"] for e in wanted},
        action__in={e["action"] for e in wanted},
    ).values("id", "candidate_id", "action", "items", "message", "created_at")
    by_candidate: dict[int, list[dict]] = {}
    for row in rows:
        by_candidate.setdefault(row["candidate_id"], []).append(row)
    return by_candidate


def _closest_feedback(feedback: dict[int, list[dict]], event: dict) -> dict | None:
    """The Feedback written by the same decision: same candidate and action, nearest in
    time (both rows are written in one transaction, a few microseconds apart)."""
    same = [f for f in feedback.get(event["candidate_id"], ()) if f["action"] == event["action"]]
    if not same:
        return None
    return min(same, key=lambda f: (abs(f["created_at"] - event["created_at"]), -f["id"]))


def feedback_reasons(items) -> list[str]:
    """Feedback items as lines: "身份证明：图片不清晰" (category and reason)."""
    lines = []
    for item in items or ():
        if not isinstance(item, dict):
            continue
        reason = str(item.get("reason") or "").strip()
        category = str(item.get("category") or "").strip()
        if reason and category:
            lines.append(f"{category}：{reason}")
        elif reason or category:
            lines.append(reason or category)
    return lines


@require_GET
def results(request: HttpRequest) -> JsonResponse:
    refusal = _check_signature(request)
    if refusal is not None:
        return refusal
    try:
        after_id = decode_cursor(request.GET.get("since", ""))
    except ValueError:
        return _error(400, "bad_cursor", _("游标无效：请使用上一页返回的 next_cursor。"))
    raw_limit = request.GET.get("limit", "")
    if raw_limit:
        if not raw_limit.isascii() or not raw_limit.isdigit() or int(raw_limit) < 1:
            return _error(
                400, "bad_limit", _("limit 应为 1 到 %(max)d 之间的整数。") % {"max": MAX_LIMIT}
            )
        limit = min(int(raw_limit), MAX_LIMIT)
    else:
        limit = DEFAULT_LIMIT
    province = request.GET.get("province", "").strip() or None
    settle = settings.YISHEN_RESULTS_SETTLE_SECONDS
    rows, last_id, has_more = result_changes(
        after_id=after_id,
        limit=limit,
        province_code=province,
        settled_before=timezone.now() - timedelta(seconds=settle),
    )
    response = JsonResponse(
        {"results": rows, "next_cursor": encode_cursor(last_id), "has_more": has_more},
        json_dumps_params={"ensure_ascii": False},
    )
    response.headers["Cache-Control"] = "no-store"
    return response
