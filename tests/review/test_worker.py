"""With a real Celery worker: a reviewer's decision makes one SMS row that the worker sends."""

import pytest

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus
from notifications.enums import NotificationStatus
from notifications.models import Notification
from review import services
from tests.conftest import wait_for
from tests.factories.accounts import province_reviewer
from tests.factories.review import candidate_with_photos


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_decision_sms_sent_by_worker(real_celery_worker):
    candidate, cats, imgs = candidate_with_photos(
        status=CandidateStatus.SITE_PASSED, image_status=ImageStatus.APPROVED
    )
    services.candidate_approve(candidate=candidate, by=province_reviewer(candidate.province))
    sms = Notification.objects.get(candidate=candidate)
    assert wait_for(
        lambda: Notification.objects.get(pk=sms.pk).status == NotificationStatus.SENT
    ), Notification.objects.get(pk=sms.pk).status
    sms.refresh_from_db()
    assert sms.attempts == 1
    assert sms.text == candidate.province.sms_approved_text
    assert Notification.objects.filter(candidate=candidate).count() == 1
