"""Writes on material categories and photos. Views, the admin and tasks call these."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.enums import SubmitMode
from accounts.models import Candidate, ExamYear, Province

from .enums import ImageStatus, ProcessingState
from .models import MaterialCategory, MaterialImage, image_upload_to
from .rules import CANDIDATE_STATE_FIELDS, image_can_delete
from .selectors import categories_for_candidate, current_images
from .validation import validate_upload

logger = logging.getLogger(__name__)

MAX_PROCESSING_ATTEMPTS = 4

STORAGE_FAILED_MESSAGE = gettext_lazy(
    "照片暂时无法保存，本次上传没有成功，已上传的其他照片不受影响。请稍后再试；"
    "如果多次失败，请联系考区。"
)


def _event(*, candidate: Candidate, action: str, image=None, data=None, ip=None) -> None:
    from review.enums import ActorKind
    from review.models import ReviewEvent

    ReviewEvent.objects.create(
        candidate=candidate,
        image=image,
        actor_kind=ActorKind.CANDIDATE,
        action=action,
        from_status=candidate.status,
        to_status=candidate.status,
        data=data or {},
        ip_address=ip,
    )


def _autosubmit(candidate: Candidate) -> None:
    if candidate.province.submit_mode != SubmitMode.AUTO_SAVE:
        return
    try:
        from review.services import candidate_autosubmit
    except ImportError:  # the review app is not there (yet): nothing to do
        return
    candidate_autosubmit(candidate=candidate)


def _lock_candidate(candidate: Candidate) -> Candidate:
    # The candidate's row only: the province's and the year's rows are read, not locked
    # (locking them would make every candidate of the province wait for each other).
    return (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("province", "exam_year")
        .get(pk=candidate.pk)
    )


def _delete_files(names: list[str]) -> None:
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:  # a file that is already gone is fine; log anything else
            logger.warning("could not delete stored file %s", name, exc_info=True)


# What the upload reads of the candidate's current photos: the checks (status, checksum) and
# the fragment it answers (materials/_category.html, the lock rule, the status panel).
UPLOAD_PHOTO_FIELDS = (
    "candidate",
    "category",
    "status",
    "return_reason",
    "processing",
    "sha256",
    "uploaded_at",
    "removed_at",
)


@dataclass(frozen=True)
class Uploaded:
    image: MaterialImage
    # The candidate's current photos after the upload, in page order (what the answer shows).
    photos: list[MaterialImage]


def image_upload(
    *,
    candidate: Candidate,
    category: MaterialCategory,
    file,
    now: datetime | None = None,
    ip: str | None = None,
    pending: int = 0,
    categories: list[MaterialCategory] | None = None,
) -> Uploaded:
    """Checks (lock rule, count, content — all in validate_upload), stores the original
    under a generated name, writes the row and the audit event, and queues the pipeline
    after commit. An upload into a category holding a current RETURNED photo replaces it.
    `categories`: the candidate's categories, when the caller has read them already.

    Nothing is left behind by a refusal or a failure: the row and the event roll back, the
    pipeline is not queued, and a stored file is deleted again. A storage failure is refused
    like a check (ValidationError, code "storage"), with a message that asks to try later."""
    from review.enums import EventAction

    from .tasks import process_image

    now = now or timezone.now()
    if categories is None:
        categories = categories_for_candidate(candidate)
    stored_name = ""
    try:
        with transaction.atomic():
            # The candidate's row lock: one candidate's uploads and deletes, and reviewers'
            # decisions on the candidate, take turns.
            candidate.refresh_from_db(
                fields=CANDIDATE_STATE_FIELDS, from_queryset=Candidate.objects.select_for_update()
            )
            photos = list(
                current_images(candidate).only(*UPLOAD_PHOTO_FIELDS).order_by("uploaded_at", "id")
            )
            in_category = [photo for photo in photos if photo.category_id == category.pk]
            checked = validate_upload(
                candidate=candidate,
                category=category,
                file=file,
                categories=categories,
                photos=in_category,
                now=now,
                pending=pending,
            )
            returned = next(
                (photo for photo in in_category if photo.status == ImageStatus.RETURNED), None
            )
            image = MaterialImage(
                candidate=candidate,
                category=category,
                image_format=checked.format,
                size_bytes=checked.size_bytes,
                width=checked.width,
                height=checked.height,
                sha256=checked.sha256,
                processing=ProcessingState.PROCESSING,
                replaces=returned,
            )
            # A generated name, new each time: if the storage fails half-way, whatever it
            # wrote under this name is deleted below.
            stored_name = image_upload_to(image, "upload")
            try:
                stored_name = default_storage.save(stored_name, ContentFile(checked.data))
            except Exception as exc:  # disk full, object store down: any storage error
                logger.exception("storage could not save an upload of candidate %s", candidate.pk)
                raise ValidationError(STORAGE_FAILED_MESSAGE, code="storage") from exc
            image.original.name = stored_name
            image.save()
            if returned is not None:
                # Still RETURNED: reviewers change photos only with the candidate row locked.
                MaterialImage.objects.filter(pk=returned.pk).update(removed_at=now)
            _event(
                candidate=candidate,
                action=EventAction.IMAGE_UPLOAD,
                image=image,
                ip=ip,
                data={
                    "category": category.name,
                    "category_id": category.pk,
                    "size": checked.size_bytes,
                    "format": checked.format,
                    "replaces": returned.pk if returned else None,
                },
            )
            process_image.delay(image_id=image.pk)
    except BaseException:
        # Nothing left behind: the row rolled back, so the file goes too.
        if stored_name:
            _delete_files([stored_name])
        raise
    _autosubmit(candidate)
    return Uploaded(image=image, photos=[p for p in photos if p is not returned] + [image])


def image_delete(
    *,
    candidate: Candidate,
    image: MaterialImage,
    now: datetime | None = None,
    ip: str | None = None,
) -> None:
    """「－」: a never-reviewed PENDING photo goes with its files; one a reviewer has seen
    (RETURNED, or decided before) is kept for comparison and only marked removed."""
    from review.enums import EventAction

    now = now or timezone.now()
    files: list[str] = []
    with transaction.atomic():
        locked = _lock_candidate(candidate)
        current = (
            MaterialImage.objects.select_for_update()
            .select_related("category")
            .filter(pk=image.pk, candidate=locked)
            .first()
        )
        if current is None:
            raise ValidationError(_("图片不存在或已删除。"), code="missing")
        allowed, reason = image_can_delete(candidate=locked, image=current, now=now)
        if not allowed:
            raise ValidationError(reason, code="locked")
        data = {
            "category": current.category.name,
            "category_id": current.category_id,
            "image_id": current.pk,
            "status": current.status,
        }
        if current.status == ImageStatus.PENDING and current.decided_at is None:
            files = [current.original.name, current.display.name, current.thumbnail.name]
            _event(candidate=locked, action=EventAction.IMAGE_DELETE, data=data, ip=ip)
            current.delete()
            transaction.on_commit(lambda: _delete_files(files))
        else:
            current.removed_at = now
            current.save(update_fields=["removed_at"])
            _event(
                candidate=locked, action=EventAction.IMAGE_DELETE, image=current, data=data, ip=ip
            )
    _autosubmit(locked)
    candidate.status = locked.status


def image_process(*, image_id: int) -> str:
    """The pipeline for one photo (the Celery task calls this). Returns the resulting state.
    Safe to run twice or concurrently: the result is stored by a conditional update, and the
    loser deletes its files. Storage errors propagate (the task retries them); an original
    that cannot be decoded is FAILED at once."""
    from .pipeline import BIG_SOURCE_PIXELS, PipelineError, process, release_memory
    from .validation import max_pixels
    from .watermark import watermark_text

    image = (
        MaterialImage.objects.select_related("candidate__province", "candidate__exam_year")
        .filter(pk=image_id)
        .first()
    )
    if image is None:
        return "gone"
    if image.processing == ProcessingState.READY and image.display:
        return ProcessingState.READY
    MaterialImage.objects.filter(pk=image_id).update(
        processing_attempts=F("processing_attempts") + 1
    )
    with image.original.open("rb") as fh:
        data = fh.read()
    candidate = image.candidate
    text = watermark_text(
        candidate.province.watermark_text,
        year=candidate.exam_year.year,
        reg_no=candidate.reg_no,
    )
    try:
        result = process(data, watermark=text, max_pixels=max_pixels())
    except PipelineError as exc:
        MaterialImage.objects.filter(pk=image_id).exclude(processing=ProcessingState.READY).update(
            processing=ProcessingState.FAILED, processing_error=str(exc)[:200]
        )
        logger.warning("image %s cannot be processed: %s", image_id, exc)
        return ProcessingState.FAILED
    del data
    if result.source_pixels > BIG_SOURCE_PIXELS:
        release_memory()
    key = uuid.uuid4().hex
    display = default_storage.save(f"display/{key}.jpg", ContentFile(result.display))
    try:
        thumb = default_storage.save(f"thumbs/{key}.jpg", ContentFile(result.thumbnail))
    except BaseException:
        _delete_files([display])
        raise
    updated = (
        MaterialImage.objects.filter(pk=image_id, display="")
        .exclude(processing=ProcessingState.READY)
        .update(
            processing=ProcessingState.READY,
            processing_error="",
            display=display,
            thumbnail=thumb,
            width=result.width,
            height=result.height,
        )
    )
    if not updated:
        # Another run finished first, or the photo was deleted meanwhile.
        _delete_files([display, thumb])
    return ProcessingState.READY


def image_mark_failed(*, image_id: int, error: str) -> None:
    """After the last retry of a transient error."""
    MaterialImage.objects.filter(pk=image_id).exclude(processing=ProcessingState.READY).update(
        processing=ProcessingState.FAILED, processing_error=error[:200]
    )


def image_reprocess(*, image: MaterialImage) -> None:
    """Queue the pipeline again for a FAILED photo (admin action / the stuck sweep)."""
    from .tasks import process_image

    MaterialImage.objects.filter(pk=image.pk, processing=ProcessingState.FAILED).update(
        processing=ProcessingState.PROCESSING, processing_error=""
    )
    process_image.delay(image_id=image.pk)


# --- the catalogue ------------------------------------------------------------------------


_COPIED_FIELDS = (
    "code",
    "name",
    "instructions",
    "example_image",
    "attachment",
    "attachment_name",
    "required",
    "min_count",
    "max_count",
    "max_bytes",
    "formats",
    "tags",
    "excluded_tags",
    "is_other",
    "order",
    "is_active",
)


def category_copy_template(*, province: Province, exam_year: ExamYear) -> int:
    """Copies the national template rows of the year that the province does not have yet
    (by code) into the province; the operator then edits the copies. Idempotent; returns
    how many rows were created. Example images and forms are shared by file name (a new
    upload on the copy stores a new file, the template's stays)."""
    created = 0
    with transaction.atomic():
        templates = (
            MaterialCategory.objects.filter(exam_year=exam_year, province__isnull=True)
            .prefetch_related("exam_categories")
            .order_by("order", "id")
        )
        existing = set(
            MaterialCategory.objects.filter(exam_year=exam_year, province=province).values_list(
                "code", flat=True
            )
        )
        for template in templates:
            if template.code in existing:
                continue
            copy = MaterialCategory(exam_year=exam_year, province=province)
            for field in _COPIED_FIELDS:
                setattr(copy, field, getattr(template, field))
            copy.save()
            copy.exam_categories.set(template.exam_categories.all())
            created += 1
    return created
