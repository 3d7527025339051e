"""With a real Celery worker (CI): the message is sent by the worker, once."""

import pytest

from notifications.enums import NotificationStatus
from notifications.models import Notification
from notifications.services import notification_create
from notifications.tasks import notification_send
from tests.conftest import wait_for

pytestmark = pytest.mark.celery_worker


def test_notification_sent_by_worker_once(real_celery_worker):
    notification = notification_create(recipient="13900000001", text="您好", purpose="result")

    def sent():
        notification.refresh_from_db()
        return notification.status == NotificationStatus.SENT

    assert wait_for(sent)
    # Sending the same row again, as a retry or the stuck sweep might, does nothing.
    notification_send.delay(notification_id=notification.pk)
    notification_send.delay(notification_id=notification.pk)
    # The solo worker takes tasks in order: once a later message is out, the repeats ran.
    marker = notification_create(recipient="13900000002", text="后一条", purpose="result")
    assert wait_for(
        lambda: Notification.objects.get(pk=marker.pk).status == NotificationStatus.SENT
    )
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert notification.provider_id.startswith("console-")
