"""Reads about material categories and photos."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import Candidate

from .enums import ImageStatus, ProcessingState
from .models import MaterialCategory, MaterialImage


def category_applies(
    category: MaterialCategory, candidate: Candidate, exam_category_ids=None
) -> bool:
    """Tags: an empty list means everyone, else the candidate needs one of them; any of the
    excluded tags rules the candidate out. Exam categories (ids, when given): none means all."""
    tags = set(candidate.tags or [])
    if category.tags and not tags.intersection(category.tags):
        return False
    if category.excluded_tags and tags.intersection(category.excluded_tags):
        return False
    return not exam_category_ids or candidate.category_id in exam_category_ids


def categories_for_candidate(candidate: Candidate) -> list[MaterialCategory]:
    """The active categories of the candidate's province and exam year that apply to the
    candidate, in page order. One query."""
    qs = (
        MaterialCategory.objects.filter(
            exam_year_id=candidate.exam_year_id,
            province_id=candidate.province_id,
            is_active=True,
        )
        .filter(Q(exam_categories__isnull=True) | Q(exam_categories=candidate.category_id))
        .distinct()
        .order_by("order", "id")
    )
    return [c for c in qs if category_applies(c, candidate)]


def category_for_candidate(candidate: Candidate, category_id: int) -> MaterialCategory | None:
    """The category if it applies to this candidate, else None (another province's category
    or one that does not apply is treated as not existing)."""
    for category in categories_for_candidate(candidate):
        if category.pk == category_id:
            return category
    return None


def current_images(candidate: Candidate) -> QuerySet[MaterialImage]:
    return MaterialImage.objects.filter(candidate=candidate, removed_at__isnull=True)


def current_counts(candidate: Candidate, *, countable_only: bool = False) -> dict[int, int]:
    """Photos per category id. countable_only: those that count towards the minimum (not
    RETURNED, not FAILED in processing)."""
    qs = current_images(candidate)
    if countable_only:
        qs = qs.exclude(status=ImageStatus.RETURNED).exclude(processing=ProcessingState.FAILED)
    return dict(qs.values("category_id").annotate(n=Count("id")).values_list("category_id", "n"))


def missing_required_categories(candidate: Candidate) -> list[MaterialCategory]:
    """Required applicable categories whose current photos (not RETURNED) number fewer than
    their minimum (at least one)."""
    categories = [c for c in categories_for_candidate(candidate) if c.required]
    if not categories:
        return []
    counts = current_counts(candidate, countable_only=True)
    return [c for c in categories if counts.get(c.pk, 0) < max(c.min_count, 1)]
