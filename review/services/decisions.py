"""The candidate decisions of the site and the province (one SMS each when it concerns the
candidate)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus, ReviewLevel
from accounts.models import Candidate
from config.prepared import PreparedQuery
from materials.enums import ImageStatus
from materials.models import MaterialCategory, MaterialImage

from ..enums import EventAction
from ..models import Feedback, ReviewNote
from ._base import (
    DECIDED_FIELDS,
    SITE_PASS_FIELDS,
    Actor,
    _applicable_categories,
    _can_act_at,
    _current_images,
    _end_claim,
    _event,
    _lock,
    _move,
    _names,
    _not_your_turn,
    _profile_for,
    _reviewer,
    _sms,
    _sync,
    _taken_message,
)

# The category and state of each current photo of a candidate: what the completeness check
# of 考点通过 and 审核通过 reads, compiled once (config.prepared).
_current_image_states = PreparedQuery(
    MaterialImage,
    lambda candidate_id: MaterialImage.objects.filter(
        candidate_id=candidate_id, removed_at__isnull=True
    ).only("category", "status"),
)


def _unfinished_categories(candidate: Candidate) -> list[MaterialCategory]:
    """Why a candidate cannot pass: the applicable categories in which a current photo is
    still PENDING or RETURNED, and the required ones holding fewer APPROVED photos than their
    minimum (at least one)."""
    categories = _applicable_categories(candidate)
    counts: dict[int, dict[str, int]] = {}
    for image in _current_image_states.all(candidate.pk):
        counts.setdefault(image.category_id, {}).setdefault(image.status, 0)
        counts[image.category_id][image.status] += 1
    bad = []
    for category in categories:
        c = counts.get(category.pk, {})
        undecided = c.get(ImageStatus.PENDING, 0) + c.get(ImageStatus.RETURNED, 0)
        short = category.required and c.get(ImageStatus.APPROVED, 0) < max(category.min_count, 1)
        if undecided or short:
            bad.append(category)
    return bad


def _require_complete(candidate: Candidate) -> None:
    bad = _unfinished_categories(candidate)
    if bad:
        raise ValidationError(
            _("以下材料尚未全部审核通过：%(names)s。请先逐张审核，或退回考生。")
            % {"names": _names(bad)},
            code="incomplete",
        )


def candidate_site_pass(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """考点通过: SUBMITTED → SITE_PASSED, only when every photo is approved (see
    `_unfinished_categories`). Internal step: no SMS."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate, only=SITE_PASS_FIELDS)
        actor = _reviewer(
            by=by,
            candidate=locked,
            levels=(ReviewLevel.SITE,),
            expected_status=expected_status,
            now=now,
        )
        _require_complete(locked)
        before = _move(locked, to=CandidateStatus.SITE_PASSED, now=now)
        _event(
            candidate=locked,
            action=EventAction.SITE_PASS,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={"level": actor.level, "message": message.strip()},
            ip=ip,
        )
    _sync(candidate, locked, DECIDED_FIELDS)
    return candidate


@dataclass(frozen=True)
class CategoryItem:
    """A return of a whole category, e.g. a required document that is missing altogether."""

    category: MaterialCategory
    reason: str


def candidate_return(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    category_items: Sequence[CategoryItem] = (),
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """退回 to the candidate, by the site (SUBMITTED) or the province (SITE_PASSED). Needs at
    least one returned photo or one category item. Unlocks exactly those categories until
    the reply deadline, writes the 审核意见 and sends the return SMS."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        actor = _reviewer(by=by, candidate=locked, expected_status=expected_status, now=now)
        province = locked.province
        returned = list(
            _current_images(locked)
            .filter(status=ImageStatus.RETURNED)
            .select_related("category")
            .order_by("category__order", "category_id", "uploaded_at", "pk")
        )
        items = [
            {
                "category": img.category.name,
                "category_id": img.category_id,
                "image_id": img.pk,
                "reason": img.return_reason,
            }
            for img in returned
        ]
        for item in category_items:
            reason = (item.reason or "").strip()
            if not reason:
                raise ValidationError(_("请填写退回原因。"), code="reason")
            if item.category.province_id not in (None, province.pk):
                raise ValidationError(_("材料类别不属于本考区。"), code="category")
            items.append(
                {
                    "category": item.category.name,
                    "category_id": item.category.pk,
                    "image_id": None,
                    "reason": reason,
                }
            )
        if not items:
            raise ValidationError(
                _("退回考生前，请至少退回一张图片或指明需补充的材料。"), code="nothing"
            )
        categories = sorted({item["category_id"] for item in items})
        deadline = now + dt.timedelta(hours=province.reply_hours)
        action = (
            EventAction.SITE_RETURN
            if actor.level == ReviewLevel.SITE
            else EventAction.PROVINCE_RETURN
        )
        before = _move(
            locked,
            to=CandidateStatus.RETURNED,
            now=now,
            extra={
                "returned_by": actor.level,
                "returned_categories": categories,
                "reply_deadline": deadline,
            },
        )
        Feedback.objects.create(
            candidate=locked,
            level=actor.level,
            author=by,
            action=action,
            message=message.strip(),
            items=items,
        )
        event = _event(
            candidate=locked,
            action=action,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={
                "level": actor.level,
                "message": message.strip(),
                "items": items,
                "reply_deadline": deadline.isoformat(),
            },
            ip=ip,
        )
        from notifications.enums import NotificationPurpose

        _sms(
            candidate=locked,
            template=province.sms_return_text,
            purpose=NotificationPurpose.RETURN,
            event_key=f"review:{event.pk}",
            hours=province.reply_hours,
            deadline=deadline,
        )
    _sync(
        candidate,
        locked,
        (*DECIDED_FIELDS, "returned_by", "returned_categories", "reply_deadline"),
    )
    return candidate


def candidate_return_to_site(
    *,
    candidate: Candidate,
    by,
    message: str,
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """The province sends a passed candidate back to the site: SITE_PASSED → SUBMITTED, with
    a note to the site (kept as an internal ReviewNote). Internal: no SMS, no 审核意见."""
    now = timezone.now()
    message = (message or "").strip()
    if not message:
        raise ValidationError(_("请填写退回考点的说明。"), code="message")
    with transaction.atomic():
        locked = _lock(candidate)
        actor = _reviewer(
            by=by,
            candidate=locked,
            levels=(ReviewLevel.PROVINCE,),
            expected_status=expected_status,
            now=now,
        )
        before = _move(locked, to=CandidateStatus.SUBMITTED, now=now)
        ReviewNote.objects.create(candidate=locked, author=by, text=_("【考区退回考点】") + message)
        _event(
            candidate=locked,
            action=EventAction.PROVINCE_RETURN_TO_SITE,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={"level": actor.level, "message": message},
            ip=ip,
        )
    _sync(candidate, locked, DECIDED_FIELDS)
    return candidate


def candidate_approve(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """审核通过 (province): SITE_PASSED → APPROVED, final; the result SMS."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        actor = _reviewer(
            by=by,
            candidate=locked,
            levels=(ReviewLevel.PROVINCE,),
            expected_status=expected_status,
            now=now,
        )
        _require_complete(locked)
        before = _move(locked, to=CandidateStatus.APPROVED, now=now)
        event = _event(
            candidate=locked,
            action=EventAction.PROVINCE_APPROVE,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={"level": actor.level, "message": message.strip()},
            ip=ip,
        )
        from notifications.enums import NotificationPurpose

        _sms(
            candidate=locked,
            template=locked.province.sms_approved_text,
            purpose=NotificationPurpose.RESULT,
            event_key=f"review:{event.pk}",
        )
    _sync(candidate, locked, DECIDED_FIELDS)
    return candidate


def candidate_reject(
    *,
    candidate: Candidate,
    by,
    reason: str,
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """审核拒绝: from SUBMITTED (site level), SITE_PASSED (province level) or RETURNED (the
    level that returned it) → REJECTED, final. The reason is required and shown to the
    candidate as 审核意见; the result SMS."""
    now = timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("审核拒绝必须填写原因。"), code="reason")
    with transaction.atomic():
        locked = _lock(candidate)
        if locked.status == CandidateStatus.RETURNED:
            profile = _profile_for(by, locked)
            if expected_status and locked.status != expected_status:
                raise ValidationError(_taken_message(locked), code="state")
            level = locked.returned_by or ReviewLevel.SITE
            if not _can_act_at(profile, level):
                raise ValidationError(_not_your_turn(locked), code="state")
            _end_claim(candidate=locked, by=by, now=now)
            actor = Actor(user=by, profile=profile, level=level)
        else:
            actor = _reviewer(by=by, candidate=locked, expected_status=expected_status, now=now)
        extra = {}
        if locked.status == CandidateStatus.RETURNED:
            extra = {"returned_categories": [], "reply_deadline": None}
        before = _move(locked, to=CandidateStatus.REJECTED, now=now, extra=extra)
        Feedback.objects.create(
            candidate=locked,
            level=actor.level,
            author=by,
            action=EventAction.REJECT,
            message=reason,
            items=[],
        )
        event = _event(
            candidate=locked,
            action=EventAction.REJECT,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={"level": actor.level, "reason": reason},
            ip=ip,
        )
        from notifications.enums import NotificationPurpose

        _sms(
            candidate=locked,
            template=locked.province.sms_rejected_text,
            purpose=NotificationPurpose.RESULT,
            event_key=f"review:{event.pk}",
        )
    _sync(candidate, locked, (*DECIDED_FIELDS, "returned_categories", "reply_deadline"))
    return candidate
