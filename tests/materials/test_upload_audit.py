"""The audit row of an upload or a deletion is written by review, answering materials'
signals inside the same transaction: no photo without its audit row, and none left behind
when the audit cannot be written."""

import pytest

from materials.models import MaterialImage
from materials.services import image_delete, image_upload
from materials.signals import image_deleted, image_uploaded
from review.enums import EventAction
from review.models import ReviewEvent
from tests import photos

from .helpers import stored_files


class AuditDown(Exception):
    pass


def _refuse(**kwargs):
    raise AuditDown("the audit table refuses writes")


@pytest.fixture
def audit_down():
    image_uploaded.connect(_refuse, dispatch_uid="test-audit-down")
    yield
    image_uploaded.disconnect(dispatch_uid="test-audit-down")


def test_upload_and_delete_write_their_audit_rows(candidate, category):
    image = image_upload(
        candidate=candidate, category=category, file=photos.upload(photos.make_typical_jpeg())
    ).image
    uploaded = ReviewEvent.objects.get(candidate=candidate, action=EventAction.IMAGE_UPLOAD)
    assert uploaded.image_id == image.pk
    image_delete(candidate=candidate, image=image)
    deleted = ReviewEvent.objects.get(candidate=candidate, action=EventAction.IMAGE_DELETE)
    assert deleted.data["image_id"] == image.pk


def test_upload_whose_audit_fails_leaves_no_photo_and_no_file(candidate, category, audit_down):
    files_before = stored_files()
    with pytest.raises(AuditDown):
        image_upload(
            candidate=candidate,
            category=category,
            file=photos.upload(photos.make_typical_jpeg()),
        )
    assert not MaterialImage.objects.filter(candidate=candidate).exists()
    assert not ReviewEvent.objects.filter(candidate=candidate).exists()
    assert stored_files() == files_before


def test_delete_whose_audit_fails_keeps_the_photo(candidate, category):
    image = image_upload(
        candidate=candidate, category=category, file=photos.upload(photos.make_typical_jpeg())
    ).image
    image_deleted.connect(_refuse, dispatch_uid="test-audit-down-delete-only")
    try:
        with pytest.raises(AuditDown):
            image_delete(candidate=candidate, image=image)
    finally:
        image_deleted.disconnect(dispatch_uid="test-audit-down-delete-only")
    assert MaterialImage.objects.filter(pk=image.pk).exists()
    assert not ReviewEvent.objects.filter(action=EventAction.IMAGE_DELETE).exists()
