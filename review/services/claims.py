"""Internal notes and claims (the reminders are in reminders.py)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Candidate

from .. import transitions
from ..enums import EventAction
from ..models import ReviewClaim, ReviewNote
from ._base import event_create, profile_in_scope


def note_create(*, candidate: Candidate, by, text: str, ip: str | None = None) -> ReviewNote:
    """内部备注: among reviewers only, never shown to the candidate. Any staff member who can
    see the candidate may write one, in any state."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("备注内容不能为空。"), code="empty")
    profile = profile_in_scope(by, candidate)
    with transaction.atomic():
        note = ReviewNote.objects.create(candidate=candidate, author=by, text=text[:2000])
        event_create(
            candidate=candidate,
            action=EventAction.NOTE,
            actor=by,
            role=profile.role,
            data={"note_id": note.pk},
            ip=ip,
        )
    return note


def claim_take(*, candidate: Candidate, by, now: dt.datetime | None = None) -> ReviewClaim | None:
    """Opening a candidate claims it for CLAIM_MINUTES, unless someone else holds an unexpired
    claim. Returns the claim in force (the caller's or the other reviewer's), or None when
    there is none and the candidate is not in a state the caller could act on."""
    now = now or timezone.now()
    profile = profile_in_scope(by, candidate)
    if transitions.acting_level(profile, candidate.status) is not None and (
        ReviewClaim.objects.take(candidate_id=candidate.pk, reviewer_id=by.pk, now=now)
    ):
        return ReviewClaim(
            candidate_id=candidate.pk,
            reviewer=by,
            expires_at=now + dt.timedelta(minutes=ReviewClaim.MINUTES),
        )
    return (
        ReviewClaim.objects.select_related("reviewer")
        .filter(candidate_id=candidate.pk, expires_at__gt=now)
        .first()
    )


def claim_release(*, candidate: Candidate, by) -> None:
    ReviewClaim.objects.filter(candidate_id=candidate.pk, reviewer_id=by.pk).delete()


def claims_purge_expired(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _rows = ReviewClaim.objects.filter(expires_at__lte=now).delete()
    return deleted
