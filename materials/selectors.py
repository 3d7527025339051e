"""Reads about material categories and photos."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from accounts.models import Candidate
from config.cached import cached, forget

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


# The categories of a province are its configuration: read on every material page, upload,
# submission, candidate page and site pass, changed a few times a year by an operator. They
# are cached per province and year; every save or delete of a category and every change of
# its exam categories drops the entry (see materials.apps), and the entry expires anyway
# after this long, which bounds what a change made outside the ORM (raw SQL) leaves behind,
# and, with the embedded default's in-process cache, a change made by another process (a
# management command) that the serving process's cache does not hear of.
CATEGORIES_CACHE_SECONDS = 120


def _categories_key(exam_year_id: int | None, province_id: int | None) -> str:
    return f"materials:categories:{exam_year_id}:{province_id}"


def province_categories(
    exam_year_id: int | None, province_id: int | None
) -> list[tuple[MaterialCategory, frozenset[int]]]:
    """The active categories of a province and exam year in page order, each with the ids
    of the exam categories it is limited to (empty: all). Cached; two queries on a miss."""

    def compute():
        categories = list(
            MaterialCategory.objects.filter(
                exam_year_id=exam_year_id, province_id=province_id, is_active=True
            ).order_by("order", "id")
        )
        limited: dict[int, set[int]] = {}
        through = MaterialCategory.exam_categories.through
        for category_id, exam_category_id in through.objects.filter(
            materialcategory_id__in=[c.pk for c in categories]
        ).values_list("materialcategory_id", "examcategory_id"):
            limited.setdefault(category_id, set()).add(exam_category_id)
        return [(c, frozenset(limited.get(c.pk, ()))) for c in categories]

    return cached(_categories_key(exam_year_id, province_id), CATEGORIES_CACHE_SECONDS, compute)


def forget_province_categories(exam_year_id: int | None, province_id: int | None) -> None:
    forget([_categories_key(exam_year_id, province_id)])


def categories_for_candidate(candidate: Candidate) -> list[MaterialCategory]:
    """The active categories of the candidate's province and exam year that apply to the
    candidate, in page order (no query while the province's categories are cached)."""
    return [
        category
        for category, exam_category_ids in province_categories(
            candidate.exam_year_id, candidate.province_id
        )
        if category_applies(category, candidate, exam_category_ids)
    ]


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
