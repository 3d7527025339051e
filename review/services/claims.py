"""Internal notes and claims (the reminders are in reminders.py)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Candidate

from .. import selectors, transitions
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
    """Claims the candidate for CLAIM_MINUTES, unless someone else holds an unexpired claim.
    Returns the claim in force (the caller's or the other reviewer's), or None when there is
    none and the candidate is not in a state the caller could act on. Only POSTs claim
    («下一位», a decision): showing a candidate's page does not."""
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


def claim_next(
    *,
    by,
    flt: selectors.QueueFilter,
    after: Candidate,
    now: dt.datetime | None = None,
    tries: int = 5,
) -> Candidate | None:
    """«下一位» and «…并下一位»: the next candidate of the queue `flt` after `after` that no
    other reviewer holds, claimed for `by`. The claim is a conditional write
    (ReviewClaim.objects.take): of two reviewers asking at once, one gets the candidate and
    the other goes on to the one after it. A candidate that is not the reviewer's to decide
    (a queue of decided candidates) is returned unclaimed, to be looked at. None: the queue
    has nothing left (or `tries` candidates in a row were taken by others meanwhile)."""
    now = now or timezone.now()
    profile = profile_in_scope(by, after)
    lost: list[int] = []
    for _attempt in range(tries):
        following = selectors.next_in_queue(profile, flt, after=after, now=now, skip=lost)
        if following is None:
            return None
        if transitions.acting_level(profile, following.status) is None:
            return following
        if ReviewClaim.objects.take(candidate_id=following.pk, reviewer_id=by.pk, now=now):
            return following
        lost.append(following.pk)
    return None


def claim_release(*, candidate: Candidate, by) -> None:
    ReviewClaim.objects.filter(candidate_id=candidate.pk, reviewer_id=by.pk).delete()


def claims_purge_expired(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _rows = ReviewClaim.objects.filter(expires_at__lte=now).delete()
    return deleted
