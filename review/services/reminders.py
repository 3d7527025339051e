"""The reminder SMS, both run by the beat schedule (review.tasks) and `manage.py sweep`:

* before a province's upload window closes, one to every candidate who has not submitted,
  including one from a roster who never entered (window_reminders_send);
* before a return's reply deadline, one to a candidate who has not resubmitted
  (reply_deadline_reminders_send).

Each goes once per deadline: its event key carries the candidate and the deadline, and the
notifications table holds one row per key (a rerun, or two runs at once, add nothing; a new
deadline reminds again). None goes in the province's quiet hours: one due then waits for
their end, or goes the evening before when the deadline comes first
(accounts.models.Province.reminder_send_from). The row carries the quiet hours and the
deadline, so that a send the provider put off (a retry's backoff) does not go out in the
night either, nor after the deadline (notifications.sending.reminder_wait)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from accounts.enums import CandidateStatus
from accounts.models import Candidate, ExamYear, Province
from notifications.models import Notification
from notifications.sms import SmsKind, sms_send

from ._base import DEADLINE_BATCH, REMINDER_HOURS

# A reply reminder may be brought forward to the evening before the quiet hours: candidates
# are read this much further ahead than `within_hours` (the longest quiet hours and the hour
# before them).
_QUIET_LOOKAHEAD = dt.timedelta(hours=25)


def window_reminder_key(*, candidate: Candidate, closes_at: dt.datetime) -> str:
    """Once per candidate and window: a rerun finds the key; a closes_at moved by the
    operator makes a new one (the candidate is told the new time)."""
    return f"window-reminder:{candidate.pk}:{int(closes_at.timestamp())}"


def reply_reminder_key(*, candidate: Candidate, deadline: dt.datetime) -> str:
    """Once per return: each return sets a new reply deadline, so a new key; a rerun finds
    the key of the deadline it reminded of."""
    return f"reminder:{candidate.pk}:{int(deadline.timestamp())}"


def _reminded_already(keys) -> set[str]:
    """The keys among `keys` that have their message (an earlier run's): nothing to render
    or store again, and not counted as queued (sms_send would return the existing row)."""
    return set(Notification.objects.filter(event_key__in=keys).values_list("event_key", flat=True))


def window_reminders_send(*, now: dt.datetime | None = None, batch: int = DEADLINE_BATCH) -> int:
    """The upload-window reminder: in each open province whose closes_at is within its
    `window_reminder_hours` (0: none), one SMS to every DRAFT candidate of the current
    exam year who can be reached — at the phone they verified, else at the mobile number
    of the roster (a candidate who never entered). Not while the province's entry is
    switched off (they could not come in), not in its quiet hours. Returns how many
    reminders were queued; safe to run at any time and concurrently."""
    now = now or timezone.now()
    provinces = (
        Province.objects.filter(closes_at__gt=now, window_reminder_hours__gt=0, entry_enabled=True)
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .order_by("code")
    )
    years = _years_reminded()
    queued = 0
    for province in provinces:
        due = province.closes_at - dt.timedelta(hours=province.window_reminder_hours)
        if province.reminder_send_from(due=due, deadline=province.closes_at, now=now) > now:
            continue
        queued += _window_remind(province=province, years=years, batch=batch)
    return queued


def _years_reminded():
    """The current exam year's candidates (all years not yet purged when none is marked
    current): a draft left from an earlier year is not told of this year's window."""
    current = ExamYear.objects.filter(is_current=True)
    return current if current.exists() else ExamYear.objects.filter(purged_at__isnull=True)


def _window_remind(*, province: Province, years, batch: int) -> int:
    queued = 0
    last = 0
    while True:
        candidates = list(
            Candidate.objects.filter(
                province=province,
                status=CandidateStatus.DRAFT,
                exam_year__in=years,
                pk__gt=last,
            )
            .exclude(phone="", roster_mobile="")
            .select_related("exam_year")
            .order_by("pk")[:batch]
        )
        if not candidates:
            return queued
        last = candidates[-1].pk
        keys = {
            c.pk: window_reminder_key(candidate=c, closes_at=province.closes_at) for c in candidates
        }
        done = _reminded_already(keys.values())
        for candidate in candidates:
            if keys[candidate.pk] in done:
                continue
            candidate.province = province
            sent = sms_send(
                kind=SmsKind.WINDOW_REMINDER,
                candidate=candidate,
                recipient=candidate.reminder_phone,
                event_key=keys[candidate.pk],
                quiet_hours=(province.quiet_start, province.quiet_end),
                send_before=province.closes_at,
                deadline=province.closes_at,
            )
            queued += sent is not None


def reply_deadline_reminders_send(
    *,
    now: dt.datetime | None = None,
    within_hours: int = REMINDER_HOURS,
    batch: int = DEADLINE_BATCH,
) -> int:
    """A reminder SMS to every RETURNED candidate whose reply deadline is near and who has not
    resubmitted. "Near" is `within_hours`, or a quarter of the province's reply time when that
    is shorter (a 4-hour reply time is not reminded of the moment the return SMS arrived).
    Once per return: the event key carries the deadline, which each return sets anew. Held
    in the province's quiet hours like the window reminder. Returns how many reminders were
    queued (one already sent is not counted again)."""
    now = now or timezone.now()
    candidates_near = (
        Candidate.objects.filter(
            status=CandidateStatus.RETURNED,
            reply_deadline__gt=now,
            reply_deadline__lte=now + dt.timedelta(hours=within_hours) + _QUIET_LOOKAHEAD,
        )
        .exclude(phone="")
        .select_related("province", "exam_year")
        .order_by("pk")
    )
    queued = 0
    last = 0
    while True:
        candidates = list(candidates_near.filter(pk__gt=last)[:batch])
        if not candidates:
            return queued
        last = candidates[-1].pk
        due = [c for c in candidates if _reply_reminder_due(c, now=now, within_hours=within_hours)]
        keys = {c.pk: reply_reminder_key(candidate=c, deadline=c.reply_deadline) for c in due}
        done = _reminded_already(keys.values())
        for candidate in due:
            if keys[candidate.pk] in done:
                continue
            sent = sms_send(
                kind=SmsKind.REMINDER,
                candidate=candidate,
                event_key=keys[candidate.pk],
                quiet_hours=(candidate.province.quiet_start, candidate.province.quiet_end),
                send_before=candidate.reply_deadline,
                deadline=candidate.reply_deadline,
                hours=candidate.province.reply_hours,
            )
            queued += sent is not None


def _reply_reminder_due(candidate: Candidate, *, now: dt.datetime, within_hours: int) -> bool:
    province = candidate.province
    near = dt.timedelta(hours=min(within_hours, province.reply_hours / 4))
    deadline = candidate.reply_deadline
    return province.reminder_send_from(due=deadline - near, deadline=deadline, now=now) <= now
