"""Per-photo decisions (no SMS): approve, return with a reason, approve all remaining."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Candidate
from materials.enums import ImageStatus, ProcessingState
from materials.models import MaterialImage
from materials.selectors import current_images

from ..enums import ActorKind, EventAction
from ..models import ReturnReason, ReviewEvent
from ._base import NotInScope, event_create, lock_candidate, staff_check

# What a photo decision reads on the locked candidate: its state and scope.
PHOTO_DECISION_FIELDS = ("status", "site", "province")


def _lock_image(*, image: MaterialImage, candidate: Candidate) -> MaterialImage:
    """The photo row, locked, with what a decision reads: its state and its category's
    name. One of this candidate's, and not replaced."""
    locked = (
        MaterialImage.objects.select_for_update(of=("self",))
        .select_related("category")
        .only("status", "processing", "removed_at", "candidate", "category__name")
        .filter(pk=image.pk, candidate_id=candidate.pk)
        .first()
    )
    if locked is None:
        # Not a photo of this candidate: a photo of a candidate under review cannot be
        # deleted (only replaced, below), so the id is wrong or another candidate's.
        raise NotInScope(_("该图片不存在。"))
    if locked.removed_at is not None:
        raise ValidationError(_("该图片已被考生替换，请刷新后查看。"), code="gone")
    return locked


def _save_decision(image: MaterialImage) -> None:
    MaterialImage.objects.filter(pk=image.pk).update(
        status=image.status,
        return_reason=image.return_reason,
        decided_by=image.decided_by_id,
        decided_at=image.decided_at,
    )


def _image_decide(
    *,
    image: MaterialImage,
    by,
    ip: str | None,
    expected_status: str | None,
    status: str,
    reason: Callable[[Candidate], str] | None = None,
) -> MaterialImage:
    """One reviewer decision on one photo, under the candidate's and the photo's row locks:
    the scope and state check, the photo's new status, its audit row. `reason` composes the
    return reason once the candidate is known (returns only)."""
    now = timezone.now()
    with transaction.atomic():
        candidate = lock_candidate(image.candidate_id, only=PHOTO_DECISION_FIELDS)
        actor = staff_check(
            by=by, candidate=candidate, verb=None, expected_status=expected_status, now=now
        )
        return_reason = reason(candidate)[:1000] if reason is not None else ""
        locked = _lock_image(image=image, candidate=candidate)
        approve = status == ImageStatus.APPROVED
        if approve and locked.processing != ProcessingState.READY:
            # Nobody approves a photo they could not look at.
            raise ValidationError(_("图片尚在处理中或处理失败，不能审核通过。"), code="processing")
        # Approving an approved photo changes nothing; a return is recorded with its reason.
        if not (approve and locked.status == ImageStatus.APPROVED):
            before = locked.status
            locked.status = status
            locked.return_reason = return_reason
            locked.decided_by = by
            locked.decided_at = now
            _save_decision(locked)
            data = {"level": actor.level, "before": before}
            if not approve:
                data["reason"] = locked.return_reason
            data["category"] = locked.category.name
            event_create(
                candidate=candidate,
                image=locked,
                action=EventAction.IMAGE_APPROVE if approve else EventAction.IMAGE_RETURN,
                actor=by,
                role=actor.role,
                data=data,
                ip=ip,
            )
    for name in ("status", "return_reason", "decided_by_id", "decided_at"):
        setattr(image, name, getattr(locked, name))
    return image


def image_approve(
    *,
    image: MaterialImage,
    by,
    ip: str | None = None,
    expected_status: str | None = None,
) -> MaterialImage:
    """A reviewer approves a photo: it locks and shows ✓ to the candidate. No SMS."""
    return _image_decide(
        image=image, by=by, ip=ip, expected_status=expected_status, status=ImageStatus.APPROVED
    )


def _compose_reason(*, reason: ReturnReason | str | None, text: str, province_id: int) -> str:
    """A standard reason of the province (or a national one) plus optional free text."""
    standard = ""
    if isinstance(reason, ReturnReason):
        if not reason.is_active or reason.province_id not in (None, province_id):
            raise ValidationError(_("请选择本考区的标准退回原因。"), code="reason")
        standard = reason.text
    elif reason:
        standard = str(reason).strip()
    text = (text or "").strip()
    if not standard and not text:
        raise ValidationError(_("请选择退回原因。"), code="reason")
    if standard and text:
        return f"{standard}：{text}"
    return standard or text


def image_return(
    *,
    image: MaterialImage,
    by,
    reason: ReturnReason | str | None,
    text: str = "",
    ip: str | None = None,
    expected_status: str | None = None,
) -> MaterialImage:
    """A reviewer returns a photo with a reason (a standard reason plus optional free text).
    It is unlocked for the candidate once the candidate is returned. No SMS."""
    return _image_decide(
        image=image,
        by=by,
        ip=ip,
        expected_status=expected_status,
        status=ImageStatus.RETURNED,
        reason=lambda candidate: _compose_reason(
            reason=reason, text=text, province_id=candidate.province_id
        ),
    )


def images_approve_remaining(
    *,
    candidate: Candidate,
    by,
    ip: str | None = None,
    expected_status: str | None = None,
) -> int:
    """ "全部通过": every current PENDING photo of the candidate is approved at once."""
    now = timezone.now()
    with transaction.atomic():
        locked = lock_candidate(candidate.pk, only=PHOTO_DECISION_FIELDS)
        actor = staff_check(
            by=by, candidate=locked, verb=None, expected_status=expected_status, now=now
        )
        pending = list(
            current_images(locked)
            .filter(status=ImageStatus.PENDING, processing=ProcessingState.READY)
            .select_for_update(of=("self",))
            .select_related("category")
            .only("candidate", "category__name")
            .order_by("pk")
        )
        if not pending:
            return 0
        MaterialImage.objects.filter(pk__in=[i.pk for i in pending]).update(
            status=ImageStatus.APPROVED, return_reason="", decided_by=by, decided_at=now
        )
        ReviewEvent.objects.bulk_create(
            [
                ReviewEvent(
                    candidate=locked,
                    image=img,
                    actor_kind=ActorKind.STAFF,
                    actor=by,
                    role=actor.role,
                    action=EventAction.IMAGE_APPROVE,
                    data={
                        "level": actor.level,
                        "before": ImageStatus.PENDING,
                        "category": img.category.name,
                        "bulk": True,
                    },
                    ip_address=ip or None,
                )
                for img in pending
            ]
        )
    return len(pending)
