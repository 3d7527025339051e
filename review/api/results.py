"""What the results API hands out. A result change is a candidate status change: a
ReviewEvent of one of the transitions of review.transitions.TABLE whose to_status differs
from its from_status. Pages go by event id. This module only reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from accounts.enums import CandidateStatus
from accounts.models import Province

from ..models import Feedback, ReviewEvent
from ..transitions import TABLE

# The actions of the candidate transitions: the only events that can change a result.
# (Image events may carry image states in from/to_status; they are never results.)
STATUS_ACTIONS = tuple(dict.fromkeys(t.action for t in TABLE))
# Results that come with reasons for the candidate (from the Feedback of the same decision).
STATUSES_WITH_REASONS = (CandidateStatus.RETURNED, CandidateStatus.REJECTED)


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
