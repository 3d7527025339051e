"""Writes for notifications. A message is a row that moves READY → SENDING → SENT or FAILED;
the move to SENDING is a conditional update, so a message is handed to the provider at most
once however many workers run the send task. A row left SENDING by a worker that died
mid-send ends UNKNOWN (结果未知): it may have been delivered, so it is never sent again
without an operator (unless the provider deduplicates, see backends.SmsBackend)."""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .backends import PermanentSmsError, TransientSmsError, get_sms_backend
from .enums import NotificationPurpose, NotificationStatus
from .models import Notification

logger = logging.getLogger(__name__)

# Attempts before a message is given up (FAILED), and the retry delays between them.
MAX_ATTEMPTS = settings.YISHEN_SMS_MAX_ATTEMPTS
BACKOFF_SECONDS = (30, 120, 600, 1800)
# A READY message overdue by this much has lost its task (broker down at dispatch, a worker
# killed before it ran): the sweep queues it again.
LOST_AFTER = timedelta(seconds=settings.YISHEN_STUCK_AFTER_SECONDS)
# The send task's hard time limit is 30 s: a row SENDING for twice that is no longer being
# sent by anyone; its worker died between the claim and recording the provider's answer.
SENDING_STALE_AFTER = timedelta(seconds=60)
# A verification code not delivered by then is useless (the code expires in 5 minutes).
CODE_USELESS_AFTER = timedelta(minutes=5)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render_sms(template: str, **context) -> str:
    """The one place message templates are rendered. Placeholders are {hours}, {deadline},
    {name}, {reg_no}, {year}, {code}; one without a value is left as written, and stray
    braces typed by an operator never break a message."""

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in context or context[key] is None:
            return match.group(0)
        value = context[key]
        if hasattr(value, "strftime"):
            value = timezone.localtime(value) if timezone.is_aware(value) else value
            value = f"{value.year}年{value.month}月{value.day}日{value:%H:%M}"
        return str(value)

    return _PLACEHOLDER.sub(replace, template)


def notification_create(
    *,
    recipient: str,
    text: str,
    purpose: str,
    candidate=None,
    event_key: str | None = None,
) -> Notification:
    """Stores the message and sends it once the surrounding transaction commits. With an
    `event_key` the same event makes one message only: a second call returns the first row
    and sends nothing."""
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
    from .tasks import notification_send  # the task module imports this one

    notification_send.delay(notification_id=notification_id)


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: int | None = None


def backoff_seconds(attempts: int) -> int:
    return BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]


def sms_key(notification: Notification) -> str:
    """The message's name for the provider: the same on every attempt."""
    return f"yishen-sms-{notification.pk}"


def notification_deliver(*, notification: Notification) -> DeliveryOutcome | None:
    """Claims the message (READY → SENDING) and hands it to the provider. Returns None when
    another worker has it or it is already done; otherwise what became
    of it. On a transient error the row goes back to READY, due `retry_in` seconds later."""
    backend = get_sms_backend()
    now = timezone.now()
    attempts = notification.attempts
    # The claim is the last thing before the provider call (compare-and-swap on the status
    # and the attempts the caller read): a worker killed before it leaves the row READY for
    # the sweep; only one killed during the call itself leaves it SENDING.
    claimed = Notification.objects.filter(
        pk=notification.pk,
        status=NotificationStatus.READY,
        attempts=attempts,
    ).update(status=NotificationStatus.SENDING, attempts=attempts + 1, updated_at=now)
    if claimed != 1:
        return None
    notification.status = NotificationStatus.SENDING
    notification.attempts = attempts + 1
    try:
        provider_id = backend.send(
            notification.recipient, notification.text, key=sms_key(notification)
        )
    except PermanentSmsError as exc:
        _finish(notification, NotificationStatus.FAILED, error=str(exc))
        logger.warning("notification %s failed permanently: %s", notification.pk, exc)
        return DeliveryOutcome(NotificationStatus.FAILED)
    except Exception as exc:  # transient, or a provider bug we cannot classify: retry
        if not isinstance(exc, TransientSmsError):
            logger.exception("notification %s: unexpected provider error", notification.pk)
        if notification.attempts >= MAX_ATTEMPTS:
            _finish(notification, NotificationStatus.FAILED, error=str(exc))
            logger.warning(
                "notification %s failed after %s attempts: %s",
                notification.pk,
                notification.attempts,
                exc,
            )
            return DeliveryOutcome(NotificationStatus.FAILED)
        retry_in = backoff_seconds(notification.attempts)
        _finish(
            notification,
            NotificationStatus.READY,
            error=str(exc),
            next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
        )
        logger.info("notification %s will be retried in %ss: %s", notification.pk, retry_in, exc)
        return DeliveryOutcome(NotificationStatus.READY, retry_in=retry_in)
    _finish(notification, NotificationStatus.SENT, provider_id=provider_id)
    return DeliveryOutcome(NotificationStatus.SENT)


def _finish(
    notification: Notification,
    status: str,
    *,
    error: str = "",
    provider_id: str = "",
    next_attempt_at=None,
) -> None:
    now = timezone.now()
    fields = {"status": status, "updated_at": now, "last_error": error[:300]}
    if status == NotificationStatus.SENT:
        fields.update(provider_id=(provider_id or "")[:100], sent_at=now, last_error="")
    if next_attempt_at is not None:
        fields["next_attempt_at"] = next_attempt_at
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        **fields
    )
    for key, value in fields.items():
        setattr(notification, key, value)


# What an operator may send again: FAILED at any time; UNKNOWN only once they have
# confirmed (with the provider's records) that it was not delivered.
REQUEUEABLE = (NotificationStatus.FAILED, NotificationStatus.UNKNOWN)


def notification_requeue(*, notification: Notification, unknown_confirmed: bool = False) -> bool:
    """An operator sends a FAILED message again (e.g. after fixing the provider account), or
    an UNKNOWN one after confirming that it did not arrive. Verification codes are never
    sent again (a new code is asked for instead)."""
    statuses = REQUEUEABLE if unknown_confirmed else (NotificationStatus.FAILED,)
    now = timezone.now()
    with transaction.atomic():
        moved = (
            Notification.objects.filter(pk=notification.pk, status__in=statuses)
            .exclude(purpose=NotificationPurpose.VERIFICATION_CODE)
            .update(
                status=NotificationStatus.READY, attempts=0, next_attempt_at=now, updated_at=now
            )
        )
        if moved:
            _enqueue(notification.pk)
    return bool(moved)


def notifications_recover_stuck(*, now=None) -> dict[str, int]:
    """The periodic sweep (every minute). READY messages overdue (their task was lost) are
    queued again, the claim making a duplicate harmless; undelivered codes past their use
    are dropped; rows left SENDING by a dead worker become UNKNOWN, or READY again when the
    provider deduplicates on the message key."""
    now = now or timezone.now()
    dropped_codes = Notification.objects.filter(
        status=NotificationStatus.READY,
        purpose=NotificationPurpose.VERIFICATION_CODE,
        created_at__lt=now - CODE_USELESS_AFTER,
    ).update(status=NotificationStatus.FAILED, last_error="验证码已过期，未再发送", updated_at=now)
    stale_sending = Notification.objects.filter(
        status=NotificationStatus.SENDING, updated_at__lt=now - SENDING_STALE_AFTER
    )
    if get_sms_backend().idempotent:
        interrupted = stale_sending.update(
            status=NotificationStatus.READY,
            next_attempt_at=now,
            last_error="发送中断，服务商按消息标识去重，可安全重试",
            updated_at=now,
        )
    else:
        interrupted = stale_sending.update(
            status=NotificationStatus.UNKNOWN,
            last_error="发送中断，结果未知：可能已送达，未自动重发",
            updated_at=now,
        )
    overdue = Notification.objects.filter(
        status=NotificationStatus.READY, next_attempt_at__lt=now - LOST_AFTER
    )
    lost = list(overdue.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:1000])
    # Queued again at most once per sweep, not once per sweep per waiting row.
    Notification.objects.filter(pk__in=lost, status=NotificationStatus.READY).update(
        next_attempt_at=now
    )
    for pk in lost:
        _enqueue(pk)
    if interrupted:
        logger.warning("notifications: %s send(s) interrupted by a dead worker", interrupted)
    return {"requeued": len(lost), "dropped_codes": dropped_codes, "interrupted": interrupted}
