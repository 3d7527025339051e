"""`GET /api/v1/results?since=CURSOR`: the results the registration system pulls, machine
to machine, each request signed (see signing)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from .cursor import decode_cursor, encode_cursor
from .results import result_changes
from .signing import check_signature, error_response

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000


# A signed machine-to-machine read: no cookie, no session, nothing for CSRF to protect. Exempt,
# so that any other method is answered 405 by require_GET, not with the CSRF refusal page.
@csrf_exempt
@require_GET
def results(request: HttpRequest) -> JsonResponse:
    refusal = check_signature(request)
    if refusal is not None:
        return refusal
    try:
        after_id = decode_cursor(request.GET.get("since", ""))
    except ValueError:
        return error_response(400, "bad_cursor", _("游标无效：请使用上一页返回的 next_cursor。"))
    raw_limit = request.GET.get("limit", "")
    if raw_limit:
        if not raw_limit.isascii() or not raw_limit.isdigit() or int(raw_limit) < 1:
            return error_response(
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
