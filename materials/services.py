"""Writes on material categories and photos: upload, deletion, reprocessing and the catalogue.
Views and the admin call these; the pipeline's own writes are in materials.processing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.enums import SubmitMode
from accounts.models import Candidate, ExamYear, Province

from .enums import ImageStatus, ProcessingState
from .models import PHOTO_ORDER, MaterialCategory, MaterialImage, image_upload_to
from .processing import stored_files_delete
from .rules import CANDIDATE_STATE_FIELDS, image_can_delete
from .selectors import categories_for_candidate
from .signals import candidate_materials_changed, image_deleted, image_uploaded
from .tasks import image_process
from .validation import validate_upload

logger = logging.getLogger(__name__)

STORAGE_FAILED_MESSAGE = gettext_lazy(
    "照片暂时无法保存，本次上传没有成功，已上传的其他照片不受影响。请稍后再试；"
    "如果多次失败，请联系考区。"
)


def _materials_changed(candidate: Candidate) -> None:
    # In an auto-save province the candidate may now be complete and enter the queue.
    if candidate.province.submit_mode == SubmitMode.AUTO_SAVE:
        candidate_materials_changed.send(sender=Candidate, candidate=candidate)


def _lock_candidate(candidate: Candidate) -> Candidate:
    # The candidate's row only: the province's and the year's rows are read, not locked
    # (locking them would make every candidate of the province wait for each other).
    return (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("province", "exam_year")
        .get(pk=candidate.pk)
    )


# What the upload reads of the candidate's current photos: the checks (status, checksum) and
# the fragment it answers (materials/_category.html, the lock rule, the status panel).
UPLOAD_PHOTO_FIELDS = (
    "candidate",
    "category",
    "status",
    "return_reason",
    "processing",
    "precheck_due_at",
    "sha256",
    "uploaded_at",
    "removed_at",
    "place",
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
    categories: list[MaterialCategory] | None = None,
) -> Uploaded:
    """Checks (lock rule, count, content — all in validate_upload), stores the original
    under a generated name, writes the row and (through the image_uploaded signal, in the
    same transaction) its audit row, and queues the pipeline after commit. An upload into a
    category holding a returned photo replaces it and takes its place (_returned_to_replace).
    `categories`: the candidate's categories, when the caller has read them already.

    Nothing is left behind by a refusal or a failure: the row and the event roll back, the
    pipeline is not queued, and a stored file is deleted again. A storage failure is refused
    like a check (ValidationError, code "storage"), with a message that asks to try later."""
    now = now or timezone.now()
    if categories is None:
        categories = categories_for_candidate(candidate)
    stored_name = ""
    try:
        with transaction.atomic():
            # The candidate's row lock: one candidate's uploads and deletes, and reviewers'
            # decisions on the candidate, take turns. (submitted_at: for _upload_rows.)
            candidate.refresh_from_db(
                fields=(*CANDIDATE_STATE_FIELDS, "submitted_at"),
                from_queryset=Candidate.objects.select_for_update(),
            )
            # The current photos, and the returned photos of this category that the
            # candidate deleted since the return and nothing replaced yet (one query).
            rows = list(
                _upload_rows(candidate, category).only(*UPLOAD_PHOTO_FIELDS).order_by(*PHOTO_ORDER)
            )
            photos = [row for row in rows if row.removed_at is None]
            in_category = [photo for photo in photos if photo.category_id == category.pk]
            checked = validate_upload(
                candidate=candidate,
                category=category,
                file=file,
                categories=categories,
                photos=in_category,
                now=now,
            )
            returned = _returned_to_replace(rows, in_category)
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
                # In the returned photo's place, not at the end of the category.
                place=(returned.place or returned.pk) if returned else None,
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
            if returned is not None and returned.removed_at is None:
                # Still RETURNED: reviewers change photos only with the candidate row locked.
                MaterialImage.objects.filter(pk=returned.pk).update(removed_at=now)
            image_uploaded.send(
                sender=MaterialImage,
                candidate=candidate,
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
            image_process.delay(image_id=image.pk)
    except BaseException:
        # Nothing left behind: the row rolled back, so the file goes too.
        if stored_name:
            stored_files_delete([stored_name])
        raise
    _materials_changed(candidate)
    if returned is None:
        # A new place: photos stand at their own id, the new one last.
        return Uploaded(image=image, photos=[*photos, image])
    # The rows are in page order: the new photo takes the returned one's place among them.
    return Uploaded(
        image=image,
        photos=[
            image if row is returned else row
            for row in rows
            if row is returned or row.removed_at is None
        ],
    )


def _upload_rows(candidate: Candidate, category: MaterialCategory) -> QuerySet[MaterialImage]:
    """The candidate's current photos, and the places an upload into `category` may fill:
    its RETURNED photos that the candidate deleted since they last submitted (during this
    return) and that nothing has replaced yet."""
    deleted_returned = Q(
        category=category, status=ImageStatus.RETURNED, removed_at__isnull=False
    ) & ~Exists(MaterialImage.objects.filter(replaces=OuterRef("pk")))
    if candidate.submitted_at is not None:
        deleted_returned &= Q(removed_at__gte=candidate.submitted_at)
    return MaterialImage.objects.filter(candidate=candidate).filter(
        Q(removed_at__isnull=True) | deleted_returned
    )


def _returned_to_replace(
    rows: list[MaterialImage], in_category: list[MaterialImage]
) -> MaterialImage | None:
    """What an upload replaces (「替换」): the category's first current RETURNED photo (it is
    kept for comparison and marked removed), else the first place the candidate emptied by
    deleting a returned photo. Either way the new photo takes its place and the reviewer sees
    it beside the new one; an upload with neither goes to a new place at the end."""
    current = next((p for p in in_category if p.status == ImageStatus.RETURNED), None)
    if current is not None:
        return current
    return next((row for row in rows if row.removed_at is not None), None)


def image_delete(
    *,
    candidate: Candidate,
    image: MaterialImage,
    now: datetime | None = None,
    ip: str | None = None,
) -> None:
    """「－」: a never-reviewed PENDING photo goes with its files; one a reviewer has seen
    (RETURNED, or decided before) is kept for comparison and only marked removed. The
    audit row is written through the image_deleted signal, in the same transaction."""
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
            image_deleted.send(sender=MaterialImage, candidate=locked, image=None, data=data, ip=ip)
            current.delete()
            transaction.on_commit(lambda: stored_files_delete(files))
        else:
            current.removed_at = now
            current.save(update_fields=["removed_at"])
            image_deleted.send(
                sender=MaterialImage, candidate=locked, image=current, data=data, ip=ip
            )
    _materials_changed(locked)
    candidate.status = locked.status


def image_reprocess(*, image: MaterialImage) -> None:
    """Queue the pipeline again for a FAILED photo (admin action / the stuck sweep)."""
    MaterialImage.objects.filter(pk=image.pk, processing=ProcessingState.FAILED).update(
        processing=ProcessingState.PROCESSING, processing_error=""
    )
    image_process.delay(image_id=image.pk)


# --- the catalogue ------------------------------------------------------------------------


_COPIED_FIELDS = (
    "code",
    "name",
    "name_en",
    "instructions",
    "instructions_en",
    "example_image",
    "attachment",
    "attachment_name",
    "attachment_name_en",
    "required",
    "min_count",
    "max_count",
    "max_bytes",
    "formats",
    "tags",
    "excluded_tags",
    "is_other",
    "precheck",
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
