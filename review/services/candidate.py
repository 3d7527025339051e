"""The candidate-side transitions: submit, auto-submit, resubmit, and the deadline sweep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus, ReviewLevel, SubmitMode
from accounts.models import Candidate
from materials.enums import ImageStatus
from materials.models import MaterialCategory, MaterialImage

from ..enums import ActorKind, EventAction
from ..models import Feedback, ReviewEvent
from ._base import (
    DEADLINE_BATCH,
    _current_images,
    _event,
    _format_time,
    _lock,
    _missing_required,
    _move,
    _names,
    _status_label,
    _sync,
    _window_open,
)


def candidate_submit(*, candidate: Candidate, ip: str | None = None) -> Candidate:
    """提交审核 (explicit-submit provinces): DRAFT → SUBMITTED, everything locks."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        province = locked.province
        if locked.status != CandidateStatus.DRAFT:
            raise ValidationError(
                _("材料已提交（当前状态：%(status)s），无需再次提交。")
                % {"status": _status_label(locked.status)},
                code="state",
            )
        if province.submit_mode != SubmitMode.EXPLICIT:
            raise ValidationError(
                _("本考区无需点击提交，必传材料上传齐全后将自动进入审核。"), code="mode"
            )
        if not _window_open(province, now):
            raise ValidationError(_("不在材料上传时间内，无法提交。"), code="window")
        missing = _missing_required(locked)
        if missing:
            raise ValidationError(
                _("以下必传材料尚未上传齐全：%(names)s。") % {"names": _names(missing)},
                code="missing",
            )
        if not _current_images(locked).exists():
            raise ValidationError(_("请先上传材料图片再提交。"), code="empty")
        _to_submitted(locked, now=now)
        _event(
            candidate=locked,
            action=EventAction.SUBMIT,
            actor_kind=ActorKind.CANDIDATE,
            from_status=CandidateStatus.DRAFT,
            to_status=CandidateStatus.SUBMITTED,
            ip=ip,
        )
    _sync(candidate, locked, ("status", "submitted_at", "status_changed_at"))
    return candidate


def _to_submitted(locked: Candidate, *, now: dt.datetime) -> None:
    _move(locked, to=CandidateStatus.SUBMITTED, now=now, extra={"submitted_at": now})


def candidate_autosubmit(*, candidate: Candidate) -> bool:
    """Auto-save provinces: a DRAFT candidate enters the site queue as soon as every required
    category holds its minimum. A no-op otherwise; safe to call after every change."""
    if candidate.province.submit_mode != SubmitMode.AUTO_SAVE:
        return False
    if candidate.status != CandidateStatus.DRAFT:
        return False
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        if locked.status != CandidateStatus.DRAFT:
            return False
        if locked.province.submit_mode != SubmitMode.AUTO_SAVE:
            return False
        if _missing_required(locked) or not _current_images(locked).exists():
            return False
        _to_submitted(locked, now=now)
        _event(
            candidate=locked,
            action=EventAction.AUTO_SUBMIT,
            actor_kind=ActorKind.SYSTEM,
            from_status=CandidateStatus.DRAFT,
            to_status=CandidateStatus.SUBMITTED,
        )
    _sync(candidate, locked, ("status", "submitted_at", "status_changed_at"))
    return True


def _return_feedback(candidate: Candidate) -> Feedback | None:
    return (
        Feedback.objects.filter(
            candidate=candidate,
            action__in=(EventAction.SITE_RETURN, EventAction.PROVINCE_RETURN),
        )
        .order_by("-created_at", "-id")
        .first()
    )


def candidate_resubmit(*, candidate: Candidate, ip: str | None = None) -> Candidate:
    """重新提交 after a return: RETURNED → the level that returned it (SUBMITTED for the site,
    SITE_PASSED for the province), or SUBMITTED when the province has switched
    `resubmit_to_returning_level` off. Approved photos stay approved and are not reviewed
    again."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        if locked.status != CandidateStatus.RETURNED:
            raise ValidationError(
                _("当前状态（%(status)s）无需重新提交。")
                % {"status": _status_label(locked.status)},
                code="state",
            )
        if locked.reply_deadline is not None and now >= locked.reply_deadline:
            raise ValidationError(
                _("已超过修改截止时间（%(deadline)s），无法重新提交。")
                % {"deadline": _format_time(locked.reply_deadline)},
                code="deadline",
            )
        still_returned = list(
            MaterialCategory.objects.filter(
                Exists(
                    _current_images(locked).filter(
                        category=OuterRef("pk"), status=ImageStatus.RETURNED
                    )
                )
            ).order_by("order", "id")
        )
        if still_returned:
            raise ValidationError(
                _("以下材料仍有被退回的图片，请删除或重新上传后再提交：%(names)s。")
                % {"names": _names(still_returned)},
                code="returned",
            )
        # A category returned as a whole ("缺少首次注册证明") needs a new photo.
        feedback = _return_feedback(locked)
        wanted = {
            item.get("category_id")
            for item in (feedback.items if feedback else [])
            if not item.get("image_id") and item.get("category_id")
        }
        if wanted:
            have = set(
                _current_images(locked)
                .filter(category_id__in=wanted, status=ImageStatus.PENDING)
                .values_list("category_id", flat=True)
            )
            lacking = MaterialCategory.objects.filter(pk__in=wanted - have).order_by("order", "id")
            if lacking:
                raise ValidationError(
                    _("请按审核意见补充上传：%(names)s。") % {"names": _names(lacking)},
                    code="missing",
                )
        missing = _missing_required(locked)
        if missing:
            raise ValidationError(
                _("以下必传材料尚未上传齐全：%(names)s。") % {"names": _names(missing)},
                code="missing",
            )
        if (
            locked.returned_by == ReviewLevel.PROVINCE
            and locked.province.resubmit_to_returning_level
        ):
            target = CandidateStatus.SITE_PASSED
        else:
            target = CandidateStatus.SUBMITTED
        # returned_by stays: it marks the candidate as returned-and-resubmitted in the queue.
        _move(
            locked,
            to=target,
            now=now,
            extra={"returned_categories": [], "reply_deadline": None, "submitted_at": now},
        )
        _event(
            candidate=locked,
            action=EventAction.RESUBMIT,
            actor_kind=ActorKind.CANDIDATE,
            from_status=CandidateStatus.RETURNED,
            to_status=target,
            data={"returned_by": locked.returned_by},
            ip=ip,
        )
    _sync(
        candidate,
        locked,
        ("status", "returned_categories", "reply_deadline", "submitted_at", "status_changed_at"),
    )
    return candidate


def _deadline_submit_ids(ids: Sequence[int], *, now: dt.datetime) -> int:
    """The window is closed: each DRAFT candidate among `ids` with at least one current photo
    becomes SUBMITTED (locked). One transaction; rows already moved on are skipped."""
    if not ids:
        return 0
    with_photo = MaterialImage.objects.filter(candidate=OuterRef("pk"), removed_at__isnull=True)
    with transaction.atomic():
        rows = list(
            Candidate.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, status=CandidateStatus.DRAFT)
            .filter(Exists(with_photo))
            .values_list("pk", "province__closes_at")
        )
        due = [pk for pk, closes_at in rows if closes_at is not None and closes_at <= now]
        if not due:
            return 0
        Candidate.objects.filter(pk__in=due, status=CandidateStatus.DRAFT).update(
            status=CandidateStatus.SUBMITTED,
            submitted_at=now,
            status_changed_at=now,
            updated_at=now,
        )
        ReviewEvent.objects.bulk_create(
            [
                ReviewEvent(
                    candidate_id=pk,
                    actor_kind=ActorKind.SYSTEM,
                    action=EventAction.DEADLINE_SUBMIT,
                    from_status=CandidateStatus.DRAFT,
                    to_status=CandidateStatus.SUBMITTED,
                )
                for pk in due
            ]
        )
    return len(due)


def candidate_deadline_submit(*, candidate: Candidate, now: dt.datetime | None = None) -> bool:
    """At the province's closes_at a DRAFT with at least one photo is submitted and locked.
    Idempotent: a candidate already submitted, or without photos, is left alone."""
    now = now or timezone.now()
    done = _deadline_submit_ids([candidate.pk], now=now)
    if done:
        candidate.refresh_from_db(fields=["status", "submitted_at", "status_changed_at"])
    return bool(done)


def candidates_close_windows(*, now: dt.datetime | None = None, batch: int = DEADLINE_BATCH) -> int:
    """The periodic sweep behind `review.close_upload_windows`: every province whose window
    has closed, in batches of `batch` candidates (keyset by id). Safe to run any number of
    times and concurrently (the row lock and the status filter decide)."""
    from accounts.models import Province

    now = now or timezone.now()
    total = 0
    with_photo = MaterialImage.objects.filter(candidate=OuterRef("pk"), removed_at__isnull=True)
    for province_id in Province.objects.filter(closes_at__lte=now).values_list("pk", flat=True):
        last = 0
        while True:
            ids = list(
                Candidate.objects.filter(
                    province_id=province_id, status=CandidateStatus.DRAFT, pk__gt=last
                )
                .filter(Exists(with_photo))
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            total += _deadline_submit_ids(ids, now=now)
            last = ids[-1]
    return total
