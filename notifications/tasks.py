"""Thin Celery wrappers around notifications.services."""

import logging

from celery import shared_task

from .models import Notification
from .services import notification_deliver, notifications_recover_stuck

logger = logging.getLogger(__name__)


@shared_task(name="notifications.send", soft_time_limit=30, time_limit=60, ignore_result=True)
def notification_send(*, notification_id: int) -> None:
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return
    outcome = notification_deliver(notification=notification)
    if outcome is not None and outcome.retry_in:
        notification_send.apply_async(
            kwargs={"notification_id": notification_id}, countdown=outcome.retry_in
        )


@shared_task(name="notifications.retry_stuck", ignore_result=True)
def notification_retry_stuck() -> dict[str, int]:
    result = notifications_recover_stuck()
    if any(result.values()):
        logger.info("notifications.retry_stuck: %s", result)
    return result
