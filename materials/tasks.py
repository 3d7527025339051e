"""Celery tasks of the materials app: thin wrappers around materials.processing. The task
names (name=) stay as deployed: queued messages and the beat schedule use them."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import processing
from .enums import ProcessingState
from .models import MaterialImage
from .precheck import services as precheck_services

logger = logging.getLogger(__name__)

# Transient trouble (storage or database unreachable) is retried with growing pauses, none
# longer than the broker's visibility timeout allows (settings.YISHEN_MAX_COUNTDOWN_SECONDS).
RETRY_DELAYS = (5, 30, 120, 300)
# The two tasks on one photo (processing and the pre-check) run alike: bound, to retry
# themselves after RETRY_DELAYS, acknowledged once done, and stopped after 60 s (90 s hard).
PHOTO_TASK_OPTIONS = {
    "bind": True,
    "max_retries": len(RETRY_DELAYS),
    "acks_late": True,
    "soft_time_limit": 60,
    "time_limit": 90,
}


@shared_task(name="materials.process_image", **PHOTO_TASK_OPTIONS)
def image_process(self, *, image_id: int) -> str:
    try:
        state = processing.image_process(image_id=image_id)
    except Exception as exc:  # storage/database trouble: retry, then give up visibly
        if self.request.retries >= self.max_retries:
            logger.exception("image %s: giving up after %s attempts", image_id, self.max_retries)
            processing.image_mark_failed(image_id=image_id, error=f"{type(exc).__name__}: {exc}")
            return "failed"
        raise self.retry(exc=exc, countdown=RETRY_DELAYS[self.request.retries]) from exc
    if state == ProcessingState.READY:
        # Hints for the reviewers and the candidate, on the `precheck` queue.
        image_precheck.delay(image_id=image_id)
    return state


@shared_task(name="materials.precheck_image", **PHOTO_TASK_OPTIONS)
def image_precheck(self, *, image_id: int) -> str:
    """The machine pre-check of one processed photo, on its own queue `precheck`
    (CELERY_TASK_ROUTES): OCR is slow and big, and must never hold up the pipeline. A
    duplicate (queued again by the sweep, or redelivered) finds the check done."""
    try:
        return precheck_services.photo_precheck(image_id=image_id, only_if_due=True)
    except Exception as exc:  # storage/database trouble: retry; the hints are only hints
        if self.request.retries >= self.max_retries:
            logger.exception("precheck of image %s: giving up", image_id)
            precheck_services.photo_precheck_give_up(image_id=image_id)
            return "failed"
        raise self.retry(exc=exc, countdown=RETRY_DELAYS[self.request.retries]) from exc


@shared_task(name="materials.retry_stuck_images", ignore_result=True)
def image_retry_stuck(*, older_than_seconds: int | None = None) -> int:
    """Photos still PROCESSING a while after upload (a dispatch lost while the broker was
    down, a worker killed mid-task) are queued again, oldest first. Harmless to run any time:
    processing is idempotent, and a repeat queued behind the original finds it done."""
    if older_than_seconds is None:
        older_than_seconds = settings.YISHEN_STUCK_AFTER_SECONDS
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        MaterialImage.objects.filter(processing=ProcessingState.PROCESSING, uploaded_at__lt=cutoff)
        .order_by("uploaded_at")
        .values_list("pk", flat=True)[:500]
    )
    for image_id in ids:
        image_process.delay(image_id=image_id)
    if ids:
        logger.info("materials.retry_stuck_images: %s photo(s) queued again", len(ids))
    return len(ids)


@shared_task(name="materials.retry_stuck_prechecks", ignore_result=True)
def image_retry_stuck_prechecks(*, older_than_seconds: int | None = None) -> int:
    """Processed photos whose pre-check is still due a while after it was queued (a dispatch
    lost while the broker was down, a precheck worker killed mid-task) are queued again,
    oldest first. Each is queued again at most once per sweep, not once per sweep per waiting
    photo: its due time moves to now. A duplicate finds the check done (see image_precheck)."""
    if older_than_seconds is None:
        older_than_seconds = settings.YISHEN_STUCK_AFTER_SECONDS
    ids = precheck_services.prechecks_overdue_take(older_than_seconds=older_than_seconds)
    for image_id in ids:
        image_precheck.delay(image_id=image_id)
    if ids:
        logger.info("materials.retry_stuck_prechecks: %s photo(s) queued again", len(ids))
    return len(ids)
