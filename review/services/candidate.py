"""The candidate-side transitions (submit, auto-submit, resubmit) and the deadline sweep:
thin wrappers around the one transition function."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.enums import CandidateStatus, SubmitMode
from accounts.models import Candidate, Province
from materials.models import MaterialImage

from ._base import DEADLINE_BATCH
from .transition import Refused, candidate_transition


def candidate_submit(*, candidate: Candidate, ip: str | None = None) -> Candidate:
    """提交审核 (explicit-submit provinces): DRAFT → SUBMITTED, everything locks."""
    return candidate_transition(candidate=candidate, verb="submit", ip=ip).candidate


def candidate_autosubmit(*, candidate: Candidate) -> bool:
    """Auto-save provinces: a DRAFT candidate enters the site queue as soon as every required
    category holds its minimum. A no-op otherwise; safe to call after every change."""
    if candidate.province.submit_mode != SubmitMode.AUTO_SAVE:
        return False
    if candidate.status != CandidateStatus.DRAFT:
        return False
    try:
        candidate_transition(candidate=candidate, verb="autosubmit")
    except Refused:
        return False
    return True


def candidate_resubmit(*, candidate: Candidate, ip: str | None = None) -> Candidate:
    """重新提交 after a return: RETURNED → the level that returned it (SUBMITTED for the site,
    SITE_PASSED for the province), or SUBMITTED when the province has switched
    `resubmit_to_returning_level` off. Approved photos stay approved and are not reviewed
    again."""
    return candidate_transition(candidate=candidate, verb="resubmit", ip=ip).candidate


def candidate_deadline_submit(*, candidate: Candidate, now: dt.datetime | None = None) -> bool:
    """At the province's closes_at a DRAFT with at least one photo is submitted and locked.
    Idempotent: a candidate already submitted, or without photos, is left alone."""
    try:
        candidate_transition(candidate=candidate, verb="deadline_submit", now=now)
    except Refused:
        return False
    return True


def candidates_close_windows(*, now: dt.datetime | None = None, batch: int = DEADLINE_BATCH) -> int:
    """The periodic sweep behind `review.close_upload_windows`: every DRAFT candidate with a
    photo in a province whose window has closed goes through the transition, one at a time,
    selected in batches of `batch` (keyset by id). Safe to run any number of times and
    concurrently (the transition's lock and conditional update decide)."""
    now = now or timezone.now()
    total = 0
    with_photo = MaterialImage.objects.filter(candidate=OuterRef("pk"), removed_at__isnull=True)
    for province_id in Province.objects.filter(closes_at__lte=now).values_list("pk", flat=True):
        last = 0
        while True:
            ids = list(
                Candidate.objects.filter(
                    province_id=province_id, status=CandidateStatus.DRAFT, pk__gt=last
                )
                .filter(Exists(with_photo))
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            for pk in ids:
                total += candidate_deadline_submit(candidate=Candidate(pk=pk), now=now)
            last = ids[-1]
    return total
