"""The rows of the results export: one per candidate of a queryset, read by keyset batches
(id > last, a fixed batch size), so that memory stays flat and no server-side cursor is held
open between two chunks of the response."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus
from accounts.models import Candidate, ExamCategory, TestSite

from ..api.results import feedback_reasons
from ..models import Feedback
from ..transitions import TABLE

BATCH_SIZE = 2000
# Feedback that explains a return or a refusal to the candidate.
REASON_ACTIONS = tuple(dict.fromkeys(t.action for t in TABLE if t.verb in ("return", "reject")))
STATUSES_WITH_REASONS = (CandidateStatus.RETURNED, CandidateStatus.REJECTED)


def export_header() -> list[str]:
    return [
        _("报名号"),
        _("姓名"),
        _("报考类别"),
        _("考点"),
        _("状态"),
        _("状态时间"),
        _("退回/拒绝原因"),
    ]


class ExportRow(NamedTuple):
    """One line of the export, in the order of export_header()."""

    reg_no: str
    name: str
    category: str
    site: str
    status: str
    status_at: datetime | None
    reasons: str


def export_rows(
    queryset: QuerySet[Candidate], *, batch_size: int = BATCH_SIZE
) -> Iterator[ExportRow]:
    """The rows of `queryset` in id order: two small queries, then two per batch whatever
    its size."""
    last_id = 0
    # Resolved once: a lazy label or a time-zone lookup per row is most of the time of
    # 200,000 rows.
    labels = {value: str(label) for value, label in CandidateStatus.choices}
    tz = timezone.get_current_timezone()
    # Site and category names from two small tables, read once: the batch query then
    # touches the candidate table alone (a join made the planner sort the whole province
    # for every batch).
    sites = {
        pk: f"{code} {name}"
        for pk, code, name in TestSite.objects.values_list("pk", "code", "name")
    }
    categories = {
        pk: f"{code} {name}"
        for pk, code, name in ExamCategory.objects.values_list("pk", "code", "name")
    }
    while True:
        batch = list(
            queryset.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list(
                "pk", "reg_no", "name", "category_id", "site_id", "status", "status_changed_at"
            )[:batch_size]
        )
        if not batch:
            return
        reasons = latest_reasons([row[0] for row in batch if row[5] in STATUSES_WITH_REASONS])
        for pk, reg_no, name, category_id, site_id, status, at in batch:
            yield ExportRow(
                reg_no=reg_no,
                name=name,
                category=categories.get(category_id, ""),
                site=sites.get(site_id, ""),
                status=labels.get(status, status),
                status_at=at.astimezone(tz) if at else None,
                reasons=reasons.get(pk, ""),
            )
        if len(batch) < batch_size:
            return
        last_id = batch[-1][0]


def latest_reasons(candidate_ids: list[int]) -> dict[int, str]:
    """The newest return/refusal Feedback of each candidate, as one line of text."""
    if not candidate_ids:
        return {}
    found: dict[int, str] = {}
    rows = (
        Feedback.objects.filter(candidate_id__in=candidate_ids, action__in=REASON_ACTIONS)
        .order_by("candidate_id", "-created_at", "-id")
        .values_list("candidate_id", "items", "message")
    )
    for candidate_id, items, message in rows:
        if candidate_id in found:
            continue
        parts = feedback_reasons(items)
        if message and message.strip():
            parts.append(message.strip())
        found[candidate_id] = "；".join(parts)
    return found
