"""The candidate-side transitions: submit, auto-submit, resubmit, the deadline sweep."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.enums import CandidateStatus, ReviewLevel, SubmitMode
from materials.enums import ImageStatus
from review import selectors, services, tasks
from review.enums import ActorKind, EventAction
from review.models import Feedback, ReviewEvent
from tests.factories.accounts import CandidateFactory, ProvinceFactory, TestSiteFactory
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.factories.review import candidate_with_photos

pytestmark = pytest.mark.django_db


def test_submit_explicit_moves_to_submitted_and_writes_event():
    candidate, _cats, _imgs = candidate_with_photos(status=CandidateStatus.DRAFT)
    services.candidate_submit(candidate=candidate, ip="10.0.0.1")
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED
    assert candidate.submitted_at is not None
    event = ReviewEvent.objects.get(candidate=candidate)
    assert (event.action, event.actor_kind, event.ip_address) == (
        EventAction.SUBMIT,
        ActorKind.CANDIDATE,
        "10.0.0.1",
    )
    assert selectors.submitted_message(candidate).endswith(" 上报完成，内容已锁定。")


def test_submit_missing_required_refused_with_category_names():
    candidate, cats, imgs = candidate_with_photos(status=CandidateStatus.DRAFT, photos=1)
    MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, required=True, name="学历证明"
    )
    with pytest.raises(ValidationError) as exc:
        services.candidate_submit(candidate=candidate)
    assert "学历证明" in exc.value.messages[0]
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DRAFT
    assert not ReviewEvent.objects.exists()


def test_submit_twice_refused():
    candidate, _c, _i = candidate_with_photos(status=CandidateStatus.DRAFT)
    services.candidate_submit(candidate=candidate)
    with pytest.raises(ValidationError) as exc:
        services.candidate_submit(candidate=candidate)
    assert exc.value.code == "state"
    assert ReviewEvent.objects.filter(action=EventAction.SUBMIT).count() == 1


def test_submit_after_window_closed_refused():
    candidate, _c, _i = candidate_with_photos(status=CandidateStatus.DRAFT)
    province = candidate.province
    province.closes_at = timezone.now() - dt.timedelta(minutes=1)
    province.save()
    with pytest.raises(ValidationError) as exc:
        services.candidate_submit(candidate=candidate)
    assert exc.value.code == "window"


def test_submit_in_auto_save_province_refused():
    province = ProvinceFactory(submit_mode=SubmitMode.AUTO_SAVE)
    candidate, _c, _i = candidate_with_photos(
        status=CandidateStatus.DRAFT, site=TestSiteFactory(province=province)
    )
    with pytest.raises(ValidationError) as exc:
        services.candidate_submit(candidate=candidate)
    assert exc.value.code == "mode"


def test_autosubmit_when_complete_only_once():
    province = ProvinceFactory(submit_mode=SubmitMode.AUTO_SAVE)
    site = TestSiteFactory(province=province)
    candidate = CandidateFactory(site=site)
    category = MaterialCategoryFactory(
        province=province, exam_year=candidate.exam_year, required=True, min_count=2
    )
    MaterialImageFactory(candidate=candidate, category=category)
    assert services.candidate_autosubmit(candidate=candidate) is False
    assert candidate.status == CandidateStatus.DRAFT
    MaterialImageFactory(candidate=candidate, category=category)
    assert services.candidate_autosubmit(candidate=candidate) is True
    assert services.candidate_autosubmit(candidate=candidate) is False
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED
    assert ReviewEvent.objects.filter(action=EventAction.AUTO_SUBMIT).count() == 1


def test_autosubmit_explicit_province_is_noop():
    candidate, _c, _i = candidate_with_photos(status=CandidateStatus.DRAFT)
    assert services.candidate_autosubmit(candidate=candidate) is False
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DRAFT


def test_submitted_message_format_beijing_time_without_padding():
    candidate = CandidateFactory(
        submitted_at=dt.datetime(2020, 3, 12, 14, 2, 8, tzinfo=dt.UTC),
        status=CandidateStatus.SUBMITTED,
    )
    assert selectors.submitted_message(candidate) == "2020/3/12 22:02:08 上报完成，内容已锁定。"
    assert selectors.submitted_message(CandidateFactory()) == ""


def _returned(level=ReviewLevel.SITE, *, hours=24, **kwargs):
    candidate, cats, imgs = candidate_with_photos(status=CandidateStatus.RETURNED, **kwargs)
    imgs[0].status = ImageStatus.RETURNED
    imgs[0].return_reason = "图片不清晰"
    imgs[0].save()
    for img in imgs[1:]:
        img.status = ImageStatus.APPROVED
        img.save()
    candidate.returned_by = level
    candidate.returned_categories = [cats[0].pk]
    candidate.reply_deadline = timezone.now() + dt.timedelta(hours=hours)
    candidate.save()
    return candidate, cats, imgs


def _replace(candidate, image):
    image.removed_at = timezone.now()
    image.save()
    return MaterialImageFactory(candidate=candidate, category=image.category, replaces=image)


def test_resubmit_refused_while_returned_photo_current():
    candidate, cats, imgs = _returned()
    with pytest.raises(ValidationError) as exc:
        services.candidate_resubmit(candidate=candidate)
    assert exc.value.code == "returned"
    assert cats[0].name in exc.value.messages[0]


def test_resubmit_goes_back_to_site():
    candidate, cats, imgs = _returned(ReviewLevel.SITE)
    _replace(candidate, imgs[0])
    services.candidate_resubmit(candidate=candidate)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED
    assert candidate.returned_categories == []
    assert candidate.reply_deadline is None
    assert candidate.returned_by == ReviewLevel.SITE
    imgs[1].refresh_from_db()
    assert imgs[1].status == ImageStatus.APPROVED


def test_resubmit_goes_back_to_province():
    candidate, cats, imgs = _returned(ReviewLevel.PROVINCE)
    _replace(candidate, imgs[0])
    services.candidate_resubmit(candidate=candidate)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SITE_PASSED


def test_resubmit_to_site_when_province_says_so():
    candidate, cats, imgs = _returned(ReviewLevel.PROVINCE)
    candidate.province.resubmit_to_returning_level = False
    candidate.province.save()
    _replace(candidate, imgs[0])
    services.candidate_resubmit(candidate=candidate)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED


def test_resubmit_after_deadline_refused():
    candidate, cats, imgs = _returned(hours=-1)
    _replace(candidate, imgs[0])
    with pytest.raises(ValidationError) as exc:
        services.candidate_resubmit(candidate=candidate)
    assert exc.value.code == "deadline"


def test_resubmit_category_item_needs_new_photo():
    candidate, cats, imgs = _returned()
    _replace(candidate, imgs[0])
    extra = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, name="首次注册证明"
    )
    Feedback.objects.create(
        candidate=candidate,
        level=ReviewLevel.SITE,
        action=EventAction.SITE_RETURN,
        items=[
            {
                "category": extra.name,
                "category_id": extra.pk,
                "image_id": None,
                "reason": "缺少首次注册证明",
            }
        ],
    )
    with pytest.raises(ValidationError) as exc:
        services.candidate_resubmit(candidate=candidate)
    assert "首次注册证明" in exc.value.messages[0]
    MaterialImageFactory(candidate=candidate, category=extra)
    services.candidate_resubmit(candidate=candidate)
    assert candidate.status == CandidateStatus.SUBMITTED


def test_resubmit_when_not_returned_refused():
    candidate, _c, _i = candidate_with_photos()
    with pytest.raises(ValidationError) as exc:
        services.candidate_resubmit(candidate=candidate)
    assert exc.value.code == "state"


def _close(province):
    province.closes_at = timezone.now() - dt.timedelta(minutes=1)
    province.save()


def test_close_upload_windows_submits_drafts_with_photos_idempotent():
    site = TestSiteFactory()
    with_photo, _c, _i = candidate_with_photos(status=CandidateStatus.DRAFT, site=site)
    without_photo = CandidateFactory(site=site)
    other_province, _c2, _i2 = candidate_with_photos(status=CandidateStatus.DRAFT)
    _close(site.province)
    assert tasks.close_upload_windows() == 1
    assert tasks.close_upload_windows() == 0
    with_photo.refresh_from_db()
    without_photo.refresh_from_db()
    other_province.refresh_from_db()
    assert with_photo.status == CandidateStatus.SUBMITTED
    assert without_photo.status == CandidateStatus.DRAFT
    assert other_province.status == CandidateStatus.DRAFT
    assert ReviewEvent.objects.filter(action=EventAction.DEADLINE_SUBMIT).count() == 1


def test_close_upload_windows_batches():
    site = TestSiteFactory()
    candidates = [
        candidate_with_photos(status=CandidateStatus.DRAFT, site=site, photos=1)[0]
        for _ in range(5)
    ]
    _close(site.province)
    assert services.candidates_close_windows(batch=2) == 5
    assert {
        c.status for c in type(candidates[0]).objects.filter(pk__in=[c.pk for c in candidates])
    } == {CandidateStatus.SUBMITTED}


def test_deadline_submit_ignores_removed_photos_and_open_window():
    candidate, _c, imgs = candidate_with_photos(status=CandidateStatus.DRAFT, photos=1)
    assert services.candidate_deadline_submit(candidate=candidate) is False  # window open
    _close(candidate.province)
    imgs[0].removed_at = timezone.now()
    imgs[0].save()
    assert services.candidate_deadline_submit(candidate=candidate) is False
    MaterialImageFactory(candidate=candidate, category=imgs[0].category)
    assert services.candidate_deadline_submit(candidate=candidate) is True
    assert services.candidate_deadline_submit(candidate=candidate) is False
    assert candidate.status == CandidateStatus.SUBMITTED


def test_review_sweep_command(capsys):
    from django.core.management import call_command

    site = TestSiteFactory()
    candidate, _c, _i = candidate_with_photos(status=CandidateStatus.DRAFT, site=site)
    _close(site.province)
    call_command("review_sweep")
    call_command("review_sweep")
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED
    out = capsys.readouterr().out
    assert "close-upload-windows (review.close_upload_windows): 1" in out
    assert "close-upload-windows (review.close_upload_windows): 0" in out
