"""Internal notes, claims, and the reply-deadline reminders."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus
from accounts.models import Candidate

from ..enums import EventAction
from ..models import ReviewClaim, ReviewNote
from ._base import (
    CLAIM_MINUTES,
    REMINDER_HOURS,
    _can_act_at,
    _claim_upsert,
    _event,
    _level_for_status,
    _profile_for,
    _sms,
)


def note_create(*, candidate: Candidate, by, text: str, ip: str | None = None) -> ReviewNote:
    """内部备注: among reviewers only, never shown to the candidate. Any staff member who can
    see the candidate may write one, in any state."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("备注内容不能为空。"), code="empty")
    profile = _profile_for(by, candidate)
    with transaction.atomic():
        note = ReviewNote.objects.create(candidate=candidate, author=by, text=text[:2000])
        _event(
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
    claim. Returns the claim in force (the caller's or the other reviewer's), or None when the
    candidate is not in a state the caller could act on. One conditional upsert (see
    `_claim_upsert`); the holder is read only when it is someone else."""
    now = now or timezone.now()
    profile = _profile_for(by, candidate)
    level = _level_for_status(candidate.status)
    if level is None or not _can_act_at(profile, level):
        return (
            ReviewClaim.objects.select_related("reviewer")
            .filter(candidate_id=candidate.pk, expires_at__gt=now)
            .first()
        )
    if _claim_upsert(candidate_id=candidate.pk, reviewer_id=by.pk, now=now):
        claim = ReviewClaim(
            candidate_id=candidate.pk,
            reviewer=by,
            expires_at=now + dt.timedelta(minutes=CLAIM_MINUTES),
        )
        claim._state.adding = False  # as stored, like a fetched row
        claim._state.db = "default"
        return claim
    return ReviewClaim.objects.select_related("reviewer").filter(candidate_id=candidate.pk).first()


def claim_release(*, candidate: Candidate, by) -> None:
    ReviewClaim.objects.filter(candidate_id=candidate.pk, reviewer_id=by.pk).delete()


def claims_purge_expired(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _rows = ReviewClaim.objects.filter(expires_at__lte=now).delete()
    return deleted


def reply_deadline_reminders_send(
    *, now: dt.datetime | None = None, within_hours: int = REMINDER_HOURS
) -> int:
    """A reminder SMS to every RETURNED candidate whose reply deadline is near and who has not
    resubmitted. "Near" is `within_hours`, or a quarter of the province's reply time when that
    is shorter (a 4-hour reply time is not reminded of the moment the return SMS arrived).
    Once per return: the event key carries the deadline, which each return sets anew."""
    from notifications.enums import NotificationPurpose

    now = now or timezone.now()
    sent = 0
    qs = (
        Candidate.objects.filter(
            status=CandidateStatus.RETURNED,
            reply_deadline__gt=now,
            reply_deadline__lte=now + dt.timedelta(hours=within_hours),
        )
        .exclude(phone="")
        .select_related("province", "exam_year")
        .order_by("pk")
    )
    for candidate in qs.iterator(chunk_size=500):
        near = dt.timedelta(hours=min(within_hours, candidate.province.reply_hours / 4))
        if candidate.reply_deadline - now > near:
            continue
        _sms(
            candidate=candidate,
            template=candidate.province.sms_reminder_text,
            purpose=NotificationPurpose.REMINDER,
            event_key=f"reminder:{candidate.pk}:{int(candidate.reply_deadline.timestamp())}",
            deadline=candidate.reply_deadline,
            hours=candidate.province.reply_hours,
        )
        sent += 1
    return sent
