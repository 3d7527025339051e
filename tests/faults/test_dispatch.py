"""The one way Celery work is dispatched (config.celery.AfterCommitTask): after commit, and
a broker that cannot be reached is logged, never shown to the user."""

import logging

import pytest
from django.db import transaction

from materials.enums import ProcessingState
from materials.tasks import image_process
from notifications.enums import NotificationStatus
from notifications.models import Notification
from notifications.services import notification_create
from notifications.tasks import notification_send
from tests.factories.materials import MaterialImageFactory


@pytest.mark.django_db
def test_delay_inside_a_transaction_waits_for_the_commit(django_capture_on_commit_callbacks):
    image = MaterialImageFactory(processed=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert image_process.delay(image_id=image.pk) is None
    image.refresh_from_db()
    assert image.processing == ProcessingState.PROCESSING
    assert len(callbacks) == 1

    callbacks[0]()
    image.refresh_from_db()
    assert image.processing == ProcessingState.READY


@pytest.mark.django_db(transaction=True)
def test_delay_in_a_rolled_back_transaction_dispatches_nothing(settings):
    image = MaterialImageFactory(processed=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        image_process.delay(image_id=image.pk)
        raise RuntimeError("rolled back")
    image.refresh_from_db()
    assert image.processing == ProcessingState.PROCESSING


# Outside a transaction (autocommit, as in a worker or beat) the dispatch runs at once.
@pytest.mark.django_db(transaction=True)
def test_broker_down_dispatch_is_logged_not_raised(broker_down, caplog):
    with caplog.at_level(logging.ERROR, logger="config.celery"):
        result = notification_send.delay(notification_id=1)
    assert result is None
    assert "notifications.send: dispatch failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_broker_down_commit_keeps_the_row_and_raises_nothing(broker_down, caplog):
    with caplog.at_level(logging.ERROR, logger="config.celery"), transaction.atomic():
        notification = notification_create(recipient="13900000001", text="您好", purpose="result")
    row = Notification.objects.get(pk=notification.pk)
    assert row.status == NotificationStatus.READY
    assert "notifications.send: dispatch failed" in caplog.text
