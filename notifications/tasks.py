"""Thin Celery wrappers around notifications.sending (services.py dispatches these)."""

import logging

from celery import shared_task
from django.conf import settings

from .models import Notification
from .sending import (
    notification_deliver,
    notifications_fetch_receipts,
    notifications_recover_stuck,
)

logger = logging.getLogger(__name__)


# A provider call answers in seconds; the hard limit bounds how long a row can be SENDING
# while its send is alive (sending.SENDING_STALE_AFTER is this plus a margin).
@shared_task(
    name="notifications.send",
    soft_time_limit=settings.YISHEN_SMS_SEND_TIME_LIMIT - 10,
    time_limit=settings.YISHEN_SMS_SEND_TIME_LIMIT,
    ignore_result=True,
)
def notification_send(*, notification_id: int) -> None:
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return
    outcome = notification_deliver(notification=notification)
    # A later retry than the broker may hold a message for is left to the sweep, which
    # sends the row once it is due (next_attempt_at).
    if outcome is None:
        return
    later = outcome.retry_in
    # Held by the per-phone limit: the attempt was not counted, so a task run in-process
    # (eager) would hold it again at once, and again; there the sweep sends it once due.
    if outcome.held_for and not notification_send.request.is_eager:
        later = outcome.held_for
    if later and later <= settings.YISHEN_MAX_COUNTDOWN_SECONDS:
        notification_send.apply_async(kwargs={"notification_id": notification_id}, countdown=later)


@shared_task(name="notifications.retry_stuck", ignore_result=True)
def notification_retry_stuck() -> dict[str, int]:
    """The periodic sweep: overdue messages are queued again (the claim makes a duplicate
    harmless), interrupted sends are settled; see sending.notifications_recover_stuck."""
    recovery = notifications_recover_stuck()
    for notification_id in recovery.lost:
        notification_send.delay(notification_id=notification_id)
    result = {
        "requeued": len(recovery.lost),
        "dropped_codes": recovery.dropped_codes,
        "interrupted": recovery.interrupted,
    }
    if any(result.values()):
        logger.info("notifications.retry_stuck: %s", result)
    return result


# A run asks about at most RECEIPT_BATCH messages (阿里云: one call each, usually tens of
# milliseconds, and the backend stops asking after 180 s) or ten pages (腾讯云).
@shared_task(
    name="notifications.fetch_receipts", soft_time_limit=240, time_limit=270, ignore_result=True
)
def notification_fetch_receipts() -> dict[str, int | str]:
    """The periodic receipt run: SENT (and UNKNOWN) messages become DELIVERED or UNDELIVERED
    from the provider's delivery receipts; see sending.notifications_fetch_receipts."""
    run = notifications_fetch_receipts()
    result = {
        "checked": run.checked,
        "delivered": run.delivered,
        "undelivered": run.undelivered,
    }
    if run.error:
        result["error"] = run.error
    if run.checked or run.error:
        logger.info("notifications.fetch_receipts: %s", result)
    return result
