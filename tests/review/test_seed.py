"""The demo seed of the review side: reasons, and reviewers have work; idempotent."""

import pytest

from accounts.enums import CandidateStatus
from demo.seed.accounts import seed_demo_accounts
from demo.seed.review import seed_demo_review
from materials.enums import ProcessingState
from materials.models import MaterialImage
from review.models import ReturnReason
from review.reasons import STANDARD_RETURN_REASONS
from tests.factories.materials import MaterialCategoryFactory

pytestmark = pytest.mark.django_db


def test_standard_reasons_seeded_by_migration():
    assert list(
        ReturnReason.objects.filter(province=None).order_by("order").values_list("text", flat=True)
    ) == list(STANDARD_RETURN_REASONS)


def test_seed_demo_review_gives_reviewers_work_and_is_idempotent(settings):
    exam_year, provinces, _report = seed_demo_accounts()
    for province in provinces:
        MaterialCategoryFactory(
            province=province, exam_year=exam_year, required=True, min_count=1, name="身份证明"
        )
    report = seed_demo_review(exam_year=exam_year)
    assert report["submitted"] == 3 * len(provinces)
    assert report["site_passed"] == len(provinces)
    for province in provinces:
        site = province.sites.order_by("code").first()
        statuses = sorted(
            site.candidate_set.exclude(status=CandidateStatus.DRAFT).values_list(
                "status", flat=True
            )
        )
        assert statuses == ["site_passed", "submitted", "submitted", "submitted"]
    assert not MaterialImage.objects.exclude(processing=ProcessingState.READY).exists()
    images = MaterialImage.objects.count()
    again = seed_demo_review(exam_year=exam_year)
    assert (again["submitted"], again["site_passed"], again["reasons"]) == (0, 0, 0)
    assert MaterialImage.objects.count() == images
    assert ReturnReason.objects.filter(province=None).count() == len(STANDARD_RETURN_REASONS)
