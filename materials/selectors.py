"""Reads about material categories and photos."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from accounts.models import Candidate

from .enums import ImageStatus, ProcessingState
from .models import MaterialCategory, MaterialImage


def categories_for_candidate(candidate: Candidate) -> list[MaterialCategory]:
    """The active categories of the candidate's province and exam year that apply to the
    candidate, in page order (one query). A category applies to everyone unless it is limited
    to some exam categories (then to theirs) or by tags: a list of tags needs one of them,
    any of the excluded tags rules the candidate out."""
    categories = (
        MaterialCategory.objects.filter(
            exam_year_id=candidate.exam_year_id,
            province_id=candidate.province_id,
            is_active=True,
        )
        # Joined to its exam categories: the row without any (not limited) or the
        # candidate's own; never both, so each category comes at most once.
        .filter(Q(exam_categories=None) | Q(exam_categories=candidate.category_id))
        .order_by("order", "id")
    )
    tags = set(candidate.tags or [])
    return [
        category
        for category in categories
        if (not category.tags or tags.intersection(category.tags))
        and not tags.intersection(category.excluded_tags or [])
    ]


def category_for_candidate(
    candidate: Candidate,
    category_id: int,
    categories: list[MaterialCategory] | None = None,
) -> MaterialCategory | None:
    """The category if it applies to this candidate, else None (another province's category
    or one that does not apply is treated as not existing). `categories`: the candidate's
    categories when the caller has read them already."""
    if categories is None:
        categories = categories_for_candidate(candidate)
    return next((c for c in categories if c.pk == category_id), None)


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
