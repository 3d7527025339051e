"""Writes for notifications. A message is a row that moves READY → SENDING → SENT or FAILED;
the move to SENDING is a conditional update, so a message is handed to the provider at most
once however many workers run the send task."""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .backends import PermanentSmsError, TransientSmsError, get_sms_backend
from .enums import NotificationPurpose, NotificationStatus
from .models import Notification

logger = logging.getLogger(__name__)

# Attempts before a message is given up (FAILED), and the retry delays between them.
MAX_ATTEMPTS = settings.YISHEN_SMS_MAX_ATTEMPTS
BACKOFF_SECONDS = (30, 120, 600, 1800)
# A row left SENDING this long means its worker died mid-send; READY this long means its
# task was lost (broker down, worker restarted).
STUCK_AFTER = timedelta(minutes=15)
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


def _enqueue(notification_id: int, *, countdown: int | None = None) -> None:
    # The task class dispatches after commit and logs a broker failure (config.celery).
    from .tasks import notification_send

    notification_send.apply_async(kwargs={"notification_id": notification_id}, countdown=countdown)


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: int | None = None


def backoff_seconds(attempts: int) -> int:
    return BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]


def notification_deliver(*, notification: Notification) -> DeliveryOutcome | None:
    """Claims the message (READY → SENDING) and hands it to the provider. Returns None when
    another worker has it or it is already done; otherwise what became of it. On a transient
    error the row goes back to READY and `retry_in` says when to try again."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.READY
    ).update(status=NotificationStatus.SENDING, attempts=F("attempts") + 1, updated_at=now)
    if claimed != 1:
        return None
    notification.refresh_from_db(fields=["status", "attempts", "recipient", "text"])
    try:
        provider_id = get_sms_backend().send(notification.recipient, notification.text)
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
        _finish(notification, NotificationStatus.READY, error=str(exc))
        retry_in = backoff_seconds(notification.attempts)
        logger.info("notification %s will be retried in %ss: %s", notification.pk, retry_in, exc)
        return DeliveryOutcome(NotificationStatus.READY, retry_in=retry_in)
    _finish(notification, NotificationStatus.SENT, provider_id=provider_id)
    return DeliveryOutcome(NotificationStatus.SENT)


def _finish(
    notification: Notification, status: str, *, error: str = "", provider_id: str = ""
) -> None:
    now = timezone.now()
    fields = {"status": status, "updated_at": now, "last_error": error[:300]}
    if status == NotificationStatus.SENT:
        fields.update(provider_id=(provider_id or "")[:100], sent_at=now, last_error="")
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        **fields
    )
    for key, value in fields.items():
        setattr(notification, key, value)


def notification_requeue(*, notification: Notification) -> bool:
    """An operator sends a FAILED message again (e.g. after fixing the provider account)."""
    with transaction.atomic():
        moved = Notification.objects.filter(
            pk=notification.pk, status=NotificationStatus.FAILED
        ).update(status=NotificationStatus.READY, attempts=0, updated_at=timezone.now())
        if moved:
            _enqueue(notification.pk)
    return bool(moved)


def notifications_recover_stuck(*, now=None) -> dict[str, int]:
    """The periodic sweep. READY rows whose task was lost are enqueued again (the claim makes
    that safe); undelivered codes past their use are dropped; rows stuck in SENDING are marked
    FAILED, because the provider may have sent them and a second copy is worse than none."""
    now = now or timezone.now()
    stale = now - STUCK_AFTER
    dropped_codes = Notification.objects.filter(
        status=NotificationStatus.READY,
        purpose=NotificationPurpose.VERIFICATION_CODE,
        created_at__lt=now - CODE_USELESS_AFTER,
    ).update(status=NotificationStatus.FAILED, last_error="验证码已过期，未再发送", updated_at=now)
    stuck_sending = Notification.objects.filter(
        status=NotificationStatus.SENDING, updated_at__lt=stale
    ).update(
        status=NotificationStatus.FAILED,
        last_error="发送中断，结果未知（为免重复发送不再重试）",
        updated_at=now,
    )
    lost = list(
        Notification.objects.filter(status=NotificationStatus.READY, updated_at__lt=stale)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in lost:
        _enqueue(pk)
    return {"requeued": len(lost), "dropped_codes": dropped_codes, "stuck_failed": stuck_sending}
