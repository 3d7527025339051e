"""Delivery of a message, run by the send task and the sweep. A message is a row that moves
READY → SENDING → SENT or FAILED; the move to SENDING is a conditional update, so a message is
handed to the provider at most once however many workers run the send task. A row left
SENDING by a worker that died mid-send ends UNKNOWN (结果未知): it may have been delivered, so
it is never sent again without an operator (unless the provider deduplicates, see
backends.SmsBackend). Nothing here dispatches a task: tasks.py does (so no import circle)."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
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


@dataclass(frozen=True)
class Recovery:
    lost: list[int]  # READY messages overdue: their task was lost, queue them again
    dropped_codes: int
    interrupted: int


def notifications_recover_stuck(*, now=None) -> Recovery:
    """The state moves of the periodic sweep (tasks.notification_retry_stuck queues what it
    returns). READY messages overdue (their task was lost) are due again now and returned, to
    be queued again, the claim making a duplicate harmless; undelivered codes past their use
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
    if interrupted:
        logger.warning("notifications: %s send(s) interrupted by a dead worker", interrupted)
    return Recovery(lost=lost, dropped_codes=dropped_codes, interrupted=interrupted)
