"""Factories for the review side: standard reasons, and candidates ready for review."""

import factory
from django.utils import timezone

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus
from review.models import ReturnReason, ReviewClaim
from tests.factories.accounts import CandidateFactory, TestSiteFactory
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory


class ReturnReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnReason

    province = None
    text = factory.Sequence(lambda n: f"退回原因{n}")
    order = factory.Sequence(lambda n: n)


def candidate_with_photos(
    *,
    status: str = CandidateStatus.SUBMITTED,
    site=None,
    photos: int = 2,
    categories: int | list = 1,
    image_status: str = ImageStatus.PENDING,
    **kwargs,
):
    """A candidate whose province has `categories` required categories (min 1 photo each),
    each holding `photos` current photos, in `status`. `categories` may also be a list of
    existing categories to fill (several candidates of one province share them). Returns
    (candidate, [categories], [images])."""
    site = site or TestSiteFactory()
    candidate = CandidateFactory(site=site, status=status, **kwargs)
    if status != CandidateStatus.DRAFT and candidate.submitted_at is None:
        candidate.submitted_at = timezone.now()
        candidate.status_changed_at = candidate.submitted_at
        candidate.save(update_fields=["submitted_at", "status_changed_at"])
    if isinstance(categories, int):
        categories = [
            MaterialCategoryFactory(
                province=candidate.province,
                exam_year=candidate.exam_year,
                required=True,
                min_count=1,
                name=f"必传材料{n}",
            )
            for n in range(categories)
        ]
    cats, images = list(categories), []
    for category in cats:
        for _i in range(photos):
            images.append(
                MaterialImageFactory(candidate=candidate, category=category, status=image_status)
            )
    return candidate, cats, images


def claim(candidate, reviewer, *, minutes: int = 5):
    return ReviewClaim.objects.update_or_create(
        candidate=candidate,
        defaults={
            "reviewer": reviewer,
            "expires_at": timezone.now() + timezone.timedelta(minutes=minutes),
        },
    )[0]
