"""`POST /api/v1/roster`: the registration system pushes its candidates before they enter
(a batch upsert, idempotent), signed as the results API is (see signing).

Why it lives here and not in accounts, whose data it writes: review/api is the registration
system's one door into Yishen, with one signing module (signing) for everything it calls.
The layers let review import accounts but not the reverse, so the view sits beside the
results API and calls the accounts service (accounts.services.roster.roster_upsert) that
the admin's roster import calls as well; the signing is not copied into accounts."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.services.roster import ROSTER_API_MAX_RECORDS, roster_upsert

from .signing import check_signature, error_response


# A signed machine-to-machine write: no cookie, no session, nothing for CSRF to protect.
@csrf_exempt
@require_POST
def roster(request: HttpRequest) -> JsonResponse:
    refusal = check_signature(request)
    if refusal is not None:
        return refusal
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return error_response(400, "bad_json", _("请求体应为 UTF-8 编码的 JSON。"))
    records = body.get("candidates") if isinstance(body, dict) else None
    if not isinstance(records, list) or not records:
        return error_response(
            400, "bad_body", _('请求体应为 {"candidates": [...]}，且至少包含一条记录。')
        )
    if len(records) > ROSTER_API_MAX_RECORDS:
        return error_response(
            413,
            "too_many_records",
            _("每次最多推送 %(max)d 条记录，请分批推送。") % {"max": ROSTER_API_MAX_RECORDS},
        )
    report = roster_upsert(records=records)
    response = JsonResponse(
        {
            "counts": report.counts,
            "results": [
                {
                    "index": o.number,
                    "reg_no": o.reg_no,
                    "result": o.result,
                    **(
                        {
                            "code": o.code,
                            "reason": o.reason,
                            "problems": [{"code": c, "reason": r} for c, r in o.problems],
                        }
                        if o.code
                        else {}
                    ),
                }
                for o in report.outcomes
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response.headers["Cache-Control"] = "no-store"
    return response
