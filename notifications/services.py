"""Writes for notifications: a message is stored and sent once the transaction commits
(delivery itself, and its states, in sending.py); an operator sends a failed one again."""

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Left, Right
from django.utils import timezone

from .enums import NotificationPurpose, NotificationStatus
from .models import Notification
from .tasks import notification_send

logger = logging.getLogger(__name__)


def notification_create(
    *,
    recipient: str,
    text: str,
    purpose: str,
    candidate=None,
    event_key: str | None = None,
    kind: str = "",
    province_code: str = "",
    params: dict | None = None,
    fallback_params: dict | None = None,
    language: str = settings.LANGUAGE_CODE,
    quiet_hours: tuple[dt.time, dt.time] | None = None,
    send_before: dt.datetime | None = None,
) -> Notification:
    """Stores the message and sends it once the surrounding transaction commits. With an
    `event_key` the same event makes one message only: a second call returns the first row
    and sends nothing. A reminder gives its `quiet_hours` (start, end) and the deadline it
    reminds of (`send_before`): it is never handed over in the one or after the other
    (sending.reminder_wait)."""
    if purpose not in NotificationPurpose.values:
        raise ValueError(f"unknown notification purpose {purpose!r}")
    if event_key:
        existing = Notification.objects.filter(event_key=event_key).first()
        if existing is not None:
            return existing
    try:
        # A savepoint: a concurrent insert of the same event_key must not break the caller's
        # transaction.
        with transaction.atomic():
            notification = Notification.objects.create(
                candidate=candidate,
                recipient=recipient,
                text=text,
                purpose=purpose,
                event_key=event_key or None,
                kind=kind,
                province_code=province_code,
                params=params or {},
                fallback_params=fallback_params or {},
                language=language,
                quiet_start=quiet_hours[0] if quiet_hours else None,
                quiet_end=quiet_hours[1] if quiet_hours else None,
                send_before=send_before,
            )
    except IntegrityError:
        if not event_key:
            raise
        return Notification.objects.get(event_key=event_key)
    _enqueue(notification.pk)
    return notification


def _enqueue(notification_id: int) -> None:
    # The task class dispatches after commit and logs a broker failure (config.celery); a
    # lost dispatch is found by the sweep, since the row stays READY.
    notification_send.delay(notification_id=notification_id)


# What an operator may send again: FAILED or UNDELIVERED (the provider's receipt says it
# did not arrive) at any time; UNKNOWN only once they have confirmed (with the provider's
# records) that it was not delivered.
RESENDABLE = (NotificationStatus.FAILED, NotificationStatus.UNDELIVERED)
REQUEUEABLE = (*RESENDABLE, NotificationStatus.UNKNOWN)


def notification_requeue(*, notification: Notification, unknown_confirmed: bool = False) -> bool:
    """An operator sends a FAILED message again (e.g. after fixing the provider account), or
    an UNKNOWN one after confirming that it did not arrive. Verification codes are never
    sent again (a new code is asked for instead)."""
    statuses = REQUEUEABLE if unknown_confirmed else RESENDABLE
    now = timezone.now()
    with transaction.atomic():
        moved = (
            Notification.objects.filter(pk=notification.pk, status__in=statuses)
            .exclude(purpose=NotificationPurpose.VERIFICATION_CODE)
            .update(
                status=NotificationStatus.READY,
                attempts=0,
                next_attempt_at=now,
                sent_at=None,
                delivered_at=None,
                updated_at=now,
            )
        )
        if moved:
            _enqueue(notification.pk)
    return bool(moved)


def notifications_anonymise(*, candidates) -> int:
    """An exam year's purge: the SMS log of these candidates (a queryset of their ids) keeps
    its rows (kind, status, dates: the delivery counts) but the number is masked (first 3
    and last 4 digits, as staff see it) and the text and template values, which may hold a
    name or a registration number, are emptied. Idempotent; returns the rows changed."""
    return (
        Notification.objects.filter(candidate__in=candidates)
        .exclude(recipient__contains="*", text="", params={}, fallback_params={})
        .update(
            recipient=Concat(Left("recipient", 3), Value("****"), Right("recipient", 4)),
            text="",
            params={},
            fallback_params={},
        )
    )
