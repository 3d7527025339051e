"""The broker is down while the database is up: a decision that was saved answers as usual
(never an error), an upload is accepted, and the work is taken up by the sweep once the
broker is back."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus, ProcessingState
from materials.models import MaterialImage
from notifications.enums import NotificationStatus
from notifications.models import Notification
from notifications.tasks import notification_retry_stuck
from tests import photos
from tests.factories.review import candidate_with_photos, claim
from tests.materials.conftest import login_candidate

# The request runs its own transactions, as in production, so on_commit fires inside it.
pytestmark = pytest.mark.django_db(transaction=True)


def test_broker_down_decision_is_saved_and_shown_without_error(
    broker_down, client, org, caplog, sms_outbox
):
    candidate, _cats, _imgs = candidate_with_photos(
        status=CandidateStatus.SITE_PASSED, site=org.site, image_status=ImageStatus.APPROVED
    )
    reviewer = org.staff["province"]
    claim(candidate, reviewer)
    client.force_login(reviewer)
    with caplog.at_level(logging.ERROR, logger="config.celery"):
        response = client.post(
            reverse("review:decide", kwargs={"pk": candidate.pk}), {"action": "approve"}
        )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.APPROVED
    message = Notification.objects.get(candidate=candidate)
    assert message.status == NotificationStatus.READY
    assert "notifications.send: dispatch failed" in caplog.text


def test_broker_down_message_sent_by_the_sweep_when_it_is_back(broker_down, sms_outbox):
    from notifications.services import notification_create

    message = notification_create(recipient="13900000001", text="审核通过", purpose="result")
    assert Notification.objects.get(pk=message.pk).status == NotificationStatus.READY
    broker_down.back()
    Notification.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    assert notification_retry_stuck.apply().get()["requeued"] == 1
    assert Notification.objects.get(pk=message.pk).status == NotificationStatus.SENT
    assert len(sms_outbox) == 1


def test_broker_down_upload_accepted_and_processed_once_it_is_back(broker_down, client):
    from materials.tasks import image_retry_stuck

    candidate, cats, _imgs = candidate_with_photos(status=CandidateStatus.DRAFT, photos=0)
    login_candidate(client, candidate)
    response = client.post(
        f"/materials/category/{cats[0].pk}/upload/",
        {"photos": photos.upload(photos.make_typical_jpeg())},
    )
    assert response.status_code == 302
    image = MaterialImage.objects.get(candidate=candidate)
    assert image.processing == ProcessingState.PROCESSING
    broker_down.back()
    MaterialImage.objects.filter(pk=image.pk).update(
        uploaded_at=timezone.now() - timedelta(minutes=1)
    )
    assert image_retry_stuck.apply().get() == 1
    image.refresh_from_db()
    assert image.processing == ProcessingState.READY
