"""The ONE lock rule, state by state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.enums import CandidateStatus, SubmitMode
from materials.enums import ImageStatus
from materials.rules import category_edit_state, image_can_delete
from materials.selectors import missing_required_categories
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory

pytestmark = pytest.mark.django_db


def set_status(candidate, status, **fields):
    candidate.status = status
    for key, value in fields.items():
        setattr(candidate, key, value)
    candidate.save()


def test_rules_draft_open_window(candidate, category):
    state = category_edit_state(candidate=candidate, category=category)
    assert state.can_add and state.can_delete and not state.locked and state.reason == ""
    assert state.until == candidate.province.closes_at


def test_rules_null_window_bounds_are_open(candidate, category):
    province = candidate.province
    province.opens_at = province.closes_at = None
    province.save()
    assert category_edit_state(candidate=candidate, category=category).can_add


def test_rules_window_edges(candidate, category):
    province = candidate.province
    now = timezone.now()
    province.opens_at, province.closes_at = now, now + timedelta(hours=1)
    province.save()
    assert category_edit_state(candidate=candidate, category=category, now=now).can_add
    assert not category_edit_state(
        candidate=candidate, category=category, now=now + timedelta(hours=1)
    ).can_add


@pytest.mark.parametrize(
    "status", [CandidateStatus.SITE_PASSED, CandidateStatus.APPROVED, CandidateStatus.REJECTED]
)
def test_rules_review_states_locked(candidate, category, status):
    set_status(candidate, status)
    state = category_edit_state(candidate=candidate, category=category)
    assert state.locked and not state.can_add and not state.can_delete and state.reason


def test_rules_submitted_explicit_locked_autosave_open(candidate, category):
    set_status(candidate, CandidateStatus.SUBMITTED)
    assert category_edit_state(candidate=candidate, category=category).locked
    province = candidate.province
    province.submit_mode = SubmitMode.AUTO_SAVE
    province.save()
    assert category_edit_state(candidate=candidate, category=category).can_add
    approved = MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.APPROVED
    )
    pending = MaterialImageFactory(candidate=candidate, category=category)
    assert image_can_delete(candidate=candidate, image=approved)[0] is False
    assert image_can_delete(candidate=candidate, image=pending) == (True, "")


def test_rules_returned_only_returned_categories_until_deadline(candidate, category):
    other = MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    now = timezone.now()
    set_status(
        candidate,
        CandidateStatus.RETURNED,
        returned_categories=[category.pk],
        reply_deadline=now + timedelta(hours=24),
    )
    assert category_edit_state(candidate=candidate, category=category, now=now).can_add
    assert category_edit_state(candidate=candidate, category=other, now=now).locked
    returned = MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.RETURNED
    )
    approved = MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.APPROVED
    )
    assert image_can_delete(candidate=candidate, image=returned, now=now)[0]
    assert not image_can_delete(candidate=candidate, image=approved, now=now)[0]
    late = now + timedelta(hours=25)
    assert category_edit_state(candidate=candidate, category=category, now=late).locked
    assert not image_can_delete(candidate=candidate, image=returned, now=late)[0]


def test_rules_another_candidates_photo_cannot_be_deleted(candidate, category):
    from tests.factories.accounts import CandidateFactory

    other = CandidateFactory(site=candidate.site)
    image = MaterialImageFactory(candidate=other, category=category)
    assert image_can_delete(candidate=candidate, image=image)[0] is False


def test_missing_required_ignores_returned_and_failed(candidate, category):
    assert missing_required_categories(candidate) == [category]
    MaterialImageFactory(candidate=candidate, category=category)
    MaterialImageFactory(candidate=candidate, category=category, status=ImageStatus.RETURNED)
    assert missing_required_categories(candidate) == [category]
    MaterialImageFactory(candidate=candidate, category=category, processing="failed")
    assert missing_required_categories(candidate) == [category]
    MaterialImageFactory(candidate=candidate, category=category, processed=False)
    assert missing_required_categories(candidate) == []
