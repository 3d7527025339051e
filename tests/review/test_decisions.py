"""Reviewer decisions: every transition allowed and refused by role, scope and state; the
audit row; the SMS (one per candidate decision, none per photo); claims."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.enums import CandidateStatus, ReviewLevel
from materials.enums import ImageStatus
from notifications.enums import NotificationPurpose
from notifications.models import Notification
from review import services
from review.enums import EventAction
from review.models import Feedback, ReturnReason, ReviewClaim, ReviewEvent, ReviewNote
from tests.factories.materials import MaterialCategoryFactory
from tests.factories.review import candidate_with_photos, claim

pytestmark = pytest.mark.django_db

S = CandidateStatus
ALL_STATES = [S.DRAFT, S.SUBMITTED, S.RETURNED, S.SITE_PASSED, S.APPROVED, S.REJECTED]
# Who may act on a candidate of org.site in which state (the level follows the state).
ACTS_ON = {
    S.SUBMITTED: {"site", "operator", "national"},
    S.SITE_PASSED: {"province", "operator", "national"},
}
OUT_OF_SCOPE = {"other_site", "far_site", "other_province"}
ACTORS = ["site", "other_site", "far_site", "province", "other_province", "operator", "national"]


def _make(org, status, *, image_status=ImageStatus.PENDING, **kwargs):
    candidate, cats, imgs = candidate_with_photos(
        status=status, site=org.site, image_status=image_status, **kwargs
    )
    if status == S.RETURNED:
        candidate.returned_by = ReviewLevel.SITE
        candidate.reply_deadline = timezone.now() + dt.timedelta(hours=24)
        candidate.save()
    return candidate, cats, imgs


def _expect(actor, status, allowed, call, *, wrong_level=()):
    """Out of scope, or a role that never acts at this level: 403. In scope but not this
    state: a clear message."""
    if actor in OUT_OF_SCOPE or actor in wrong_level:
        with pytest.raises(PermissionDenied):
            call()
    elif allowed:
        call()
    else:
        with pytest.raises(ValidationError) as exc:
            call()
        assert exc.value.code == "state"
        assert "不在您的审核环节" in exc.value.messages[0]


@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("actor", ACTORS)
def test_image_approve_by_role_scope_state(org, actor, status):
    candidate, cats, imgs = _make(org, status)
    user = org.staff[actor]
    allowed = actor in ACTS_ON.get(status, set())
    _expect(actor, status, allowed, lambda: services.image_approve(image=imgs[0], by=user))
    imgs[0].refresh_from_db()
    assert imgs[0].status == (ImageStatus.APPROVED if allowed else ImageStatus.PENDING)
    assert ReviewEvent.objects.filter(action=EventAction.IMAGE_APPROVE).count() == int(allowed)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("actor", ACTORS)
def test_image_return_by_role_scope_state(org, actor, status):
    candidate, cats, imgs = _make(org, status)
    user = org.staff[actor]
    reason = ReturnReason.objects.get(text="图片不清晰", province=None)
    allowed = actor in ACTS_ON.get(status, set())
    _expect(
        actor,
        status,
        allowed,
        lambda: services.image_return(image=imgs[0], by=user, reason=reason, text="请重拍"),
    )
    imgs[0].refresh_from_db()
    if allowed:
        assert imgs[0].status == ImageStatus.RETURNED
        assert imgs[0].return_reason == "图片不清晰：请重拍"
    else:
        assert imgs[0].status == ImageStatus.PENDING
    assert not Notification.objects.exists()


@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("actor", ACTORS)
def test_site_pass_by_role_scope_state(org, actor, status):
    candidate, cats, imgs = _make(org, status, image_status=ImageStatus.APPROVED)
    user = org.staff[actor]
    allowed = status == S.SUBMITTED and actor in {"site", "operator", "national"}
    _expect(
        actor,
        status,
        allowed,
        lambda: services.candidate_site_pass(candidate=candidate, by=user),
        wrong_level={"province"},
    )
    candidate.refresh_from_db()
    assert candidate.status == (S.SITE_PASSED if allowed else status)
    assert not Notification.objects.exists()  # internal step: no SMS


@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("actor", ACTORS)
def test_approve_by_role_scope_state(org, actor, status):
    candidate, cats, imgs = _make(org, status, image_status=ImageStatus.APPROVED)
    user = org.staff[actor]
    allowed = status == S.SITE_PASSED and actor in {"province", "operator", "national"}
    _expect(
        actor,
        status,
        allowed,
        lambda: services.candidate_approve(candidate=candidate, by=user),
        wrong_level={"site"},
    )
    candidate.refresh_from_db()
    assert candidate.status == (S.APPROVED if allowed else status)
    assert Notification.objects.filter(purpose=NotificationPurpose.RESULT).count() == int(allowed)


@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("actor", ACTORS)
def test_return_by_role_scope_state(org, actor, status):
    candidate, cats, imgs = _make(org, status, image_status=ImageStatus.RETURNED)
    user = org.staff[actor]
    allowed = actor in ACTS_ON.get(status, set())
    _expect(actor, status, allowed, lambda: services.candidate_return(candidate=candidate, by=user))
    candidate.refresh_from_db()
    assert candidate.status == (S.RETURNED if allowed else status)
    assert Notification.objects.filter(purpose=NotificationPurpose.RETURN).count() == int(allowed)


@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("actor", ACTORS)
def test_return_to_site_by_role_scope_state(org, actor, status):
    candidate, cats, imgs = _make(org, status)
    user = org.staff[actor]
    allowed = status == S.SITE_PASSED and actor in {"province", "operator", "national"}
    _expect(
        actor,
        status,
        allowed,
        lambda: services.candidate_return_to_site(candidate=candidate, by=user, message="复核"),
        wrong_level={"site"},
    )
    candidate.refresh_from_db()
    assert candidate.status == (S.SUBMITTED if allowed else status)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("actor", ACTORS)
def test_reject_by_role_scope_state(org, actor, status):
    candidate, cats, imgs = _make(org, status)
    user = org.staff[actor]
    allowed = actor in ACTS_ON.get(status, set()) or (
        status == S.RETURNED and actor in {"site", "operator", "national"}  # returned by site
    )
    _expect(
        actor,
        status,
        allowed,
        lambda: services.candidate_reject(candidate=candidate, by=user, reason="不符合报考条件"),
    )
    candidate.refresh_from_db()
    assert candidate.status == (S.REJECTED if allowed else status)
    assert Notification.objects.filter(purpose=NotificationPurpose.RESULT).count() == int(allowed)
    if allowed:
        feedback = Feedback.objects.get(candidate=candidate)
        assert (feedback.action, feedback.message) == (EventAction.REJECT, "不符合报考条件")


def test_reject_without_reason_refused(org):
    candidate, _c, _i = _make(org, S.SUBMITTED)
    with pytest.raises(ValidationError) as exc:
        services.candidate_reject(candidate=candidate, by=org.staff["site"], reason="  ")
    assert "原因" in exc.value.messages[0]


def test_site_pass_refused_while_photos_pending(org):
    candidate, cats, imgs = _make(org, S.SUBMITTED)
    services.image_approve(image=imgs[0], by=org.staff["site"])
    with pytest.raises(ValidationError) as exc:
        services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    assert exc.value.code == "incomplete"
    assert cats[0].name in exc.value.messages[0]
    assert services.images_approve_remaining(candidate=candidate, by=org.staff["site"]) == 1
    services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    assert candidate.status == S.SITE_PASSED


def test_site_pass_refused_when_required_category_empty(org):
    candidate, cats, imgs = _make(org, S.SUBMITTED, image_status=ImageStatus.APPROVED)
    MaterialCategoryFactory(
        province=org.province, exam_year=candidate.exam_year, required=True, name="学历证明"
    )
    with pytest.raises(ValidationError) as exc:
        services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    assert "学历证明" in exc.value.messages[0]


def test_return_needs_a_returned_photo_or_item(org):
    candidate, cats, imgs = _make(org, S.SUBMITTED)
    with pytest.raises(ValidationError) as exc:
        services.candidate_return(candidate=candidate, by=org.staff["site"])
    assert exc.value.code == "nothing"


def test_return_sets_categories_deadline_feedback_and_one_sms(org):
    org.province.reply_hours = 48
    org.province.save()
    candidate, cats, imgs = _make(org, S.SUBMITTED, categories=2, photos=1)
    missing = MaterialCategoryFactory(
        province=org.province, exam_year=candidate.exam_year, name="首次注册证明"
    )
    reviewer = org.staff["site"]
    services.image_approve(image=imgs[1], by=reviewer)
    services.image_return(image=imgs[0], by=reviewer, reason="图片不清晰")
    assert not Notification.objects.exists()
    before = timezone.now()
    services.candidate_return(
        candidate=candidate,
        by=reviewer,
        message="请按意见修改",
        category_items=[services.CategoryItem(category=missing, reason="缺少首次注册证明")],
        ip="10.1.2.3",
    )
    candidate.refresh_from_db()
    assert candidate.status == S.RETURNED
    assert candidate.returned_by == ReviewLevel.SITE
    assert candidate.returned_categories == sorted([cats[0].pk, missing.pk])
    assert before + dt.timedelta(hours=48) <= candidate.reply_deadline
    feedback = Feedback.objects.get(candidate=candidate)
    assert feedback.message == "请按意见修改"
    assert [(i["category"], i["image_id"], i["reason"]) for i in feedback.items] == [
        (cats[0].name, imgs[0].pk, "图片不清晰"),
        ("首次注册证明", None, "缺少首次注册证明"),
    ]
    event = ReviewEvent.objects.get(action=EventAction.SITE_RETURN)
    assert (event.actor, event.role, event.ip_address) == (reviewer, "site_reviewer", "10.1.2.3")
    sms = Notification.objects.get()
    assert sms.event_key == f"review:{event.pk}"
    assert sms.recipient == candidate.phone
    assert sms.text == (
        "您的医师资格考试报名材料照片，有新的审核通知，请在48小时之内登录报名网站，"
        "访问报名材料上传页面，查看消息并按要求处理。"
    )


def test_province_return_to_candidate_and_back_to_province(org):
    candidate, cats, imgs = _make(org, S.SITE_PASSED, image_status=ImageStatus.APPROVED)
    reviewer = org.staff["province"]
    services.image_return(image=imgs[0], by=reviewer, reason="证件已过期")
    services.candidate_return(candidate=candidate, by=reviewer)
    assert candidate.returned_by == ReviewLevel.PROVINCE
    assert ReviewEvent.objects.filter(action=EventAction.PROVINCE_RETURN).count() == 1
    imgs[0].refresh_from_db()
    imgs[0].removed_at = timezone.now()
    imgs[0].save()
    from tests.factories.materials import MaterialImageFactory

    MaterialImageFactory(candidate=candidate, category=cats[0], replaces=imgs[0])
    services.candidate_resubmit(candidate=candidate)
    assert candidate.status == S.SITE_PASSED
    # The approved photo stays approved; only the replacement waits.
    statuses = sorted(
        candidate.images.filter(removed_at__isnull=True).values_list("status", flat=True)
    )
    assert statuses == [ImageStatus.APPROVED, ImageStatus.PENDING]


def test_return_to_site_writes_internal_note_no_feedback(org):
    candidate, _c, _i = _make(org, S.SITE_PASSED)
    services.candidate_return_to_site(
        candidate=candidate, by=org.staff["province"], message="照片需复核"
    )
    assert ReviewNote.objects.get(candidate=candidate).text.endswith("照片需复核")
    assert not Feedback.objects.exists()
    with pytest.raises(ValidationError):
        services.candidate_return_to_site(candidate=candidate, by=org.staff["province"], message="")


def test_sms_once_per_decision_and_none_without_phone(org):
    candidate, cats, imgs = _make(org, S.SITE_PASSED, image_status=ImageStatus.APPROVED)
    services.candidate_approve(candidate=candidate, by=org.staff["province"])
    assert Notification.objects.count() == 1
    with pytest.raises(ValidationError):
        services.candidate_approve(candidate=candidate, by=org.staff["province"])
    assert Notification.objects.count() == 1
    silent, _c, _i = _make(org, S.SUBMITTED, phone="")
    services.candidate_reject(candidate=silent, by=org.staff["site"], reason="不符合")
    assert Notification.objects.count() == 1


def test_expected_status_mismatch_tells_taken(org):
    candidate, cats, imgs = _make(org, S.SUBMITTED, image_status=ImageStatus.APPROVED)
    services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    with pytest.raises(ValidationError) as exc:
        services.candidate_reject(
            candidate=candidate, by=org.staff["national"], reason="x", expected_status=S.SUBMITTED
        )
    assert exc.value.messages[0] == "该考生已被其他审核员处理（当前状态：考点通过），请刷新后查看。"


def test_stale_second_reviewer_is_told(org):
    """Two reviewers of the same site opened the same candidate; the first passes it."""
    candidate, cats, imgs = _make(org, S.SUBMITTED, image_status=ImageStatus.APPROVED)
    from tests.factories.accounts import site_reviewer

    second = site_reviewer(org.site)
    stale = type(candidate).objects.get(pk=candidate.pk)
    services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    with pytest.raises(ValidationError) as exc:
        services.candidate_reject(
            candidate=stale, by=second, reason="不符合", expected_status=S.SUBMITTED
        )
    assert "已被其他审核员处理（当前状态：考点通过）" in exc.value.messages[0]
    stale.refresh_from_db()
    assert stale.status == S.SITE_PASSED
    assert ReviewEvent.objects.filter(action=EventAction.REJECT).count() == 0


def test_claim_held_by_another_blocks_decisions(org):
    candidate, cats, imgs = _make(org, S.SUBMITTED, image_status=ImageStatus.APPROVED)
    from tests.factories.accounts import site_reviewer

    other = site_reviewer(org.site, first_name="李审核")
    claim(candidate, other)
    with pytest.raises(ValidationError) as exc:
        services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    assert exc.value.code == "claimed"
    assert "李审核" in exc.value.messages[0]
    until = timezone.localtime(ReviewClaim.objects.get(candidate=candidate).expires_at)
    assert f"（至 {until:%H:%M}）" in exc.value.messages[0]
    # The refused decision changed nothing: the claim is still the other reviewer's.
    assert ReviewClaim.objects.get(candidate=candidate).reviewer == other
    candidate.refresh_from_db()
    assert candidate.status == S.SUBMITTED
    with pytest.raises(ValidationError):
        services.image_approve(image=imgs[0], by=org.staff["site"])
    # Expired claims do not count.
    ReviewClaim.objects.filter(candidate=candidate).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    assert not ReviewClaim.objects.filter(candidate=candidate).exists()


def test_claim_take_conditional(org):
    candidate, _c, _i = _make(org, S.SUBMITTED)
    first, second = org.staff["site"], org.staff["national"]
    held = services.claim_take(candidate=candidate, by=first)
    assert held.reviewer == first
    assert services.claim_take(candidate=candidate, by=second).reviewer == first
    ReviewClaim.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.claim_take(candidate=candidate, by=second).reviewer == second
    # Not the reviewer's turn: no claim taken.
    assert services.claim_take(candidate=candidate, by=org.staff["province"]).reviewer == second
    with pytest.raises(PermissionDenied):
        services.claim_take(candidate=candidate, by=org.staff["other_site"])


def test_image_decision_extends_claim(org):
    candidate, cats, imgs = _make(org, S.SUBMITTED)
    services.image_approve(image=imgs[0], by=org.staff["site"])
    held = ReviewClaim.objects.get(candidate=candidate)
    assert held.reviewer == org.staff["site"]
    assert held.expires_at > timezone.now() + dt.timedelta(minutes=4)


def test_image_return_reason_of_other_province_refused(org):
    candidate, cats, imgs = _make(org, S.SUBMITTED)
    foreign = ReturnReason.objects.create(province=org.other_province, text="外省原因")
    with pytest.raises(ValidationError):
        services.image_return(image=imgs[0], by=org.staff["site"], reason=foreign)
    with pytest.raises(ValidationError):
        services.image_return(image=imgs[0], by=org.staff["site"], reason=None, text="")


def test_image_replaced_refused(org):
    candidate, cats, imgs = _make(org, S.SUBMITTED)
    imgs[0].removed_at = timezone.now()
    imgs[0].save()
    with pytest.raises(ValidationError) as exc:
        services.image_approve(image=imgs[0], by=org.staff["site"])
    assert exc.value.code == "gone"


def test_note_create_scope(org):
    candidate, _c, _i = _make(org, S.APPROVED)
    note = services.note_create(candidate=candidate, by=org.staff["province"], text="电话核实过")
    assert note.text == "电话核实过"
    with pytest.raises(PermissionDenied):
        services.note_create(candidate=candidate, by=org.staff["other_site"], text="x")


def _no_quiet_hours(province) -> None:
    # These tests run at whatever hour the clock says; the quiet hours are tested in
    # tests/review/test_reminders.py with a clock of their own.
    province.quiet_start = province.quiet_end
    province.save()


def test_reminders_once_per_return(org):
    _no_quiet_hours(org.province)
    candidate, _c, _i = _make(org, S.RETURNED)
    candidate.reply_deadline = timezone.now() + dt.timedelta(hours=3)
    candidate.save()
    far, _c2, _i2 = _make(org, S.RETURNED)  # deadline in 24 h: not yet
    from review import tasks

    tasks.remind_reply_deadlines()
    tasks.remind_reply_deadlines()
    sms = Notification.objects.get()
    assert sms.purpose == NotificationPurpose.REMINDER
    assert sms.candidate_id == candidate.pk
    assert "尚未按审核意见修改" in sms.text
    assert "{deadline}" not in sms.text
    # A later return sets a new deadline: one more reminder.
    candidate.reply_deadline = timezone.now() + dt.timedelta(hours=2)
    candidate.save()
    tasks.remind_reply_deadlines()
    assert Notification.objects.count() == 2
    assert far.pk not in Notification.objects.values_list("candidate_id", flat=True)


def test_unprocessed_photo_cannot_be_approved(org):
    from tests.factories.materials import MaterialImageFactory

    candidate, cats, imgs = _make(org, S.SUBMITTED, photos=1)
    raw = MaterialImageFactory(candidate=candidate, category=cats[0], processed=False)
    with pytest.raises(ValidationError) as exc:
        services.image_approve(image=raw, by=org.staff["site"])
    assert exc.value.code == "processing"
    assert services.images_approve_remaining(candidate=candidate, by=org.staff["site"]) == 1
    raw.refresh_from_db()
    assert raw.status == ImageStatus.PENDING
    with pytest.raises(ValidationError):
        services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    # It can be returned, though (e.g. a photo the pipeline could not read).
    services.image_return(image=raw, by=org.staff["site"], reason="图片不清晰")


def test_reminder_waits_for_the_last_quarter_of_a_short_reply_time(org):
    from review import tasks

    org.province.reply_hours = 4
    _no_quiet_hours(org.province)
    candidate, _c, _i = _make(org, S.RETURNED)
    candidate.reply_deadline = timezone.now() + dt.timedelta(hours=3)
    candidate.save()
    tasks.remind_reply_deadlines()
    assert not Notification.objects.exists()
    candidate.reply_deadline = timezone.now() + dt.timedelta(minutes=50)
    candidate.save()
    tasks.remind_reply_deadlines()
    assert Notification.objects.get().purpose == NotificationPurpose.REMINDER
