"""Writes of the machine pre-check: its results and hints, and a reviewer's mark that a hint
is wrong. Nothing here changes the state of a photo or a candidate: the machine gives hints,
reviewers decide (tests/review/test_precheck.py holds it to that)."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import IdType
from accounts.models import Candidate, mask_id_no
from accounts.selectors import staff_can_see_candidate

from ..enums import HintKind, PrecheckRead, ProcessingState
from ..models import MaterialImage, PhotoCheck, PrecheckHint
from . import dhash
from .selectors import similar_photos

logger = logging.getLogger(__name__)

_QUALITY_KINDS = {
    "dark": HintKind.DARK,
    "bright": HintKind.BRIGHT,
    "blurred": HintKind.BLURRED,
    "small": HintKind.SMALL,
    "empty": HintKind.EMPTY,
}
_NUMBER = re.compile(r"[0-9]{17}[0-9Xx]|[0-9]{15}")


def _masked_lines(lines) -> list[dict]:
    """The text read, for the record, with any ID number in it masked like the registered
    one (the text of an ID card holds the whole number)."""
    return [
        {
            "text": _NUMBER.sub(lambda m: mask_id_no(m.group(0)), line.text),
            "score": line.score,
            "box": line.box,
        }
        for line in lines
    ]


def _wanted_hints(result) -> set[str]:
    kinds = {_QUALITY_KINDS[code] for code in result.quality if code in _QUALITY_KINDS}
    if result.id_no_match is False:
        kinds.add(HintKind.ID_MISMATCH)
    if result.name_match is False:
        kinds.add(
            HintKind.NAME_MISMATCH if result.kind == PrecheckRead.ID_CARD else HintKind.NAME_MISSING
        )
    return kinds


def photo_precheck(*, image_id: int, only_if_due: bool = False) -> str:
    """Reads one processed photo (the Celery task on the `precheck` queue calls this),
    stores what was read and its hints, flags reuse on both photos, and marks the check done
    (MaterialImage.precheck_due_at emptied). Idempotent: a second run replaces the result;
    hints a reviewer marked wrong stay marked. `only_if_due`: a photo whose check is done
    already is left alone (the task's duplicates, from the sweep or the broker)."""
    image = (
        MaterialImage.objects.select_related("candidate", "category")
        .filter(pk=image_id, removed_at__isnull=True)
        .first()
    )
    if image is None:
        return "gone"
    if image.processing != ProcessingState.READY:
        return "not-ready"
    if only_if_due and image.precheck_due_at is None:
        return "done"
    from . import reading  # numpy and OCR: loaded by the precheck worker, not the web tier

    with image.original.open("rb") as fh:
        data = fh.read()
    candidate: Candidate = image.candidate
    read = image.category.precheck
    # Only a mainland resident ID card carries a GB 11643 number to compare.
    compare_number = candidate.id_type == IdType.ID_CARD
    result = reading.check(
        data,
        kind=read,
        name=candidate.name,
        id_no=candidate.id_no if compare_number else "",
    )
    value = result.dhash
    p0, p1, p2, p3 = dhash.parts(value)
    with transaction.atomic():
        if not MaterialImage.objects.filter(pk=image_id).exists():
            return "gone"
        PhotoCheck.objects.update_or_create(
            image_id=image_id,
            defaults={
                "candidate_id": candidate.pk,
                "exam_year_id": candidate.exam_year_id,
                "read": read,
                "dhash": dhash.to_signed(value),
                "dhash_0": p0,
                "dhash_1": p1,
                "dhash_2": p2,
                "dhash_3": p3,
                "id_no_masked": mask_id_no(result.id_no) if result.id_no else "",
                "id_no_valid": result.id_no_valid,
                "id_no_match": result.id_no_match,
                "name_read": (result.name or "")[:64],
                "name_match": result.name_match,
                "quality": result.quality,
                "lines": _masked_lines(result.lines),
                "seconds": result.seconds,
            },
        )
        MaterialImage.objects.filter(pk=image_id).update(precheck_due_at=None)
        wanted = _wanted_hints(result)
        # A re-run drops the hints it no longer finds, except those a reviewer marked wrong
        # (their marks count on the dashboard). Reuse is kept: it is found from both sides.
        PrecheckHint.objects.filter(image_id=image_id, wrong_at__isnull=True).exclude(
            kind__in=[*wanted, HintKind.REUSED]
        ).delete()
        for kind in wanted:
            PrecheckHint.objects.get_or_create(
                image_id=image_id, kind=kind, defaults={"candidate_id": candidate.pk}
            )
    # After the result is committed, so that two copies checked at the same moment by two
    # workers find each other: each one's lookup sees at least the row of the one that
    # committed first, and the reuse is written on both photos.
    for other in similar_photos(
        exam_year_id=candidate.exam_year_id, value=value, exclude_candidate_id=candidate.pk
    ):
        _flag_reuse(image_id=image_id, candidate_id=candidate.pk, other_image_id=other.image_id)
        _flag_reuse(
            image_id=other.image_id, candidate_id=other.candidate_id, other_image_id=image_id
        )
    logger.info("precheck of image %s: %s in %.2fs", image_id, sorted(wanted), result.seconds)
    return "checked"


def photo_precheck_give_up(*, image_id: int) -> None:
    """After the task's last retry of a transient error: the check is no longer due, so the
    page stops waiting for it and the sweep leaves it (the photo is reviewed without hints,
    as any photo may be)."""
    MaterialImage.objects.filter(pk=image_id).update(precheck_due_at=None)


def prechecks_overdue_take(*, older_than_seconds: int, now: datetime | None = None) -> list[int]:
    """For the recovery sweep: the processed photos whose pre-check has been due longer than
    `older_than_seconds` (its task was lost), oldest first, at most 500; their due time
    moves to now, so that the next sweep waits for the task queued now."""
    now = now or timezone.now()
    ids = list(
        MaterialImage.objects.filter(
            precheck_due_at__lt=now - timedelta(seconds=older_than_seconds),
            processing=ProcessingState.READY,
            removed_at__isnull=True,
        )
        .order_by("precheck_due_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    MaterialImage.objects.filter(pk__in=ids, precheck_due_at__isnull=False).update(
        precheck_due_at=now
    )
    return ids


def _flag_reuse(*, image_id: int, candidate_id: int, other_image_id: int) -> None:
    with transaction.atomic():
        if not MaterialImage.objects.filter(pk=image_id).exists():
            return
        hint, _created = PrecheckHint.objects.get_or_create(
            image_id=image_id,
            kind=HintKind.REUSED,
            defaults={"candidate_id": candidate_id, "detail": {"images": []}},
        )
        hint = PrecheckHint.objects.select_for_update().get(pk=hint.pk)
        images = list(hint.detail.get("images", []))
        if other_image_id not in images:
            images.append(other_image_id)
            hint.detail = {**hint.detail, "images": sorted(images)}
            hint.save(update_fields=["detail"])


def hint_mark_wrong(
    *, hint_id: int, candidate: Candidate, by, now: datetime | None = None
) -> PrecheckHint:
    """A reviewer says a hint is wrong (the photo is fine, the numbers agree…). The mark
    counts against the hint's precision on the dashboard; it changes nothing else. Refused
    for a candidate outside the reviewer's scope or a hint of another candidate."""
    if not staff_can_see_candidate(by, candidate):
        raise PermissionDenied
    hint = PrecheckHint.objects.filter(pk=hint_id, candidate=candidate).first()
    if hint is None:
        raise ValidationError(_("该提示不存在。"), code="missing")
    now = now or timezone.now()
    # Compare-and-swap: the first mark stands; marking twice is not an error.
    PrecheckHint.objects.filter(pk=hint.pk, wrong_at__isnull=True).update(wrong_by=by, wrong_at=now)
    hint.refresh_from_db()
    return hint
