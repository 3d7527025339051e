"""The photo pipeline's writes: a photo processed (watermarked display copy and thumbnail
stored, its row updated by a conditional update) or given up. The Celery tasks call these;
they import nothing that dispatches tasks, so that tasks and services form no circle."""

from __future__ import annotations

import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F
from django.utils import timezone

from .enums import ProcessingState
from .models import MaterialImage, image_file_name
from .pipeline import BIG_SOURCE_PIXELS, PipelineError, process, release_memory
from .validation import max_pixels
from .watermark import watermark_text

logger = logging.getLogger(__name__)


def stored_files_delete(names: list[str]) -> None:
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:  # a file that is already gone is fine; log anything else
            logger.warning("could not delete stored file %s", name, exc_info=True)


def image_process(*, image_id: int) -> str:
    """The pipeline for one photo (the Celery task calls this). Returns the resulting state.
    Safe to run twice or concurrently: the result is stored by a conditional update, and the
    loser deletes its files. Storage errors propagate (the task retries them); an original
    that cannot be decoded is FAILED at once."""
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
    key, year = uuid.uuid4().hex, candidate.exam_year.year
    display = default_storage.save(
        image_file_name("display", year=year, key=key, suffix=".jpg"), ContentFile(result.display)
    )
    try:
        thumb = default_storage.save(
            image_file_name("thumbs", year=year, key=key, suffix=".jpg"),
            ContentFile(result.thumbnail),
        )
    except BaseException:
        stored_files_delete([display])
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
            # The task queues the pre-check next; until it is done the page keeps polling.
            precheck_due_at=timezone.now(),
        )
    )
    if not updated:
        # Another run finished first, or the photo was deleted meanwhile.
        stored_files_delete([display, thumb])
    return ProcessingState.READY


def image_mark_failed(*, image_id: int, error: str) -> None:
    """After the last retry of a transient error."""
    MaterialImage.objects.filter(pk=image_id).exclude(processing=ProcessingState.READY).update(
        processing=ProcessingState.FAILED, processing_error=error[:200]
    )
