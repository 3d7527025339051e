"""The candidate's categories (materials.selectors.categories_for_candidate): one query, and
what an operator changes shows at once."""

import pytest

from materials.selectors import categories_for_candidate, missing_required_categories
from tests.factories.accounts import (
    CandidateFactory,
    ExamCategoryFactory,
    ProvinceFactory,
    TestSiteFactory,
)
from tests.factories.materials import MaterialCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate():
    return CandidateFactory()


def _category(candidate, **kwargs):
    return MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, **kwargs
    )


def _names(candidate):
    return [c.name for c in categories_for_candidate(candidate)]


def test_categories_are_one_query_whatever_their_limits(candidate, django_assert_num_queries):
    assistant = ExamCategoryFactory(code="210", name="临床执业助理医师")
    _category(candidate, name="身份证明", order=1)
    _category(candidate, name="试用期考核证明", order=2).exam_categories.add(assistant)
    _category(candidate, name="执业医师资格证书", order=3).exam_categories.add(
        candidate.category, assistant
    )

    with django_assert_num_queries(1):
        assert _names(candidate) == ["身份证明", "执业医师资格证书"]


def test_another_province_has_its_own_categories(candidate):
    _category(candidate, name="身份证明")
    other = CandidateFactory(site=TestSiteFactory(province=ProvinceFactory(code="13")))
    MaterialCategoryFactory(province=other.province, exam_year=other.exam_year, name="学历证书")

    assert _names(candidate) == ["身份证明"]
    assert _names(other) == ["学历证书"]


def test_a_saved_change_shows_at_once(candidate):
    category = _category(candidate, name="身份证明", required=False)
    assert missing_required_categories(candidate) == []

    category.required = True
    category.name = "身份证明（正反面）"
    category.save()

    assert [c.name for c in missing_required_categories(candidate)] == ["身份证明（正反面）"]


def test_a_new_deactivated_or_deleted_category_shows_at_once(candidate):
    first = _category(candidate, name="身份证明", order=1)
    assert _names(candidate) == ["身份证明"]

    second = _category(candidate, name="学历证书", order=2)
    assert _names(candidate) == ["身份证明", "学历证书"]
    first.is_active = False
    first.save()
    assert _names(candidate) == ["学历证书"]
    second.delete()
    assert _names(candidate) == []


def test_a_category_moved_to_another_province_leaves_the_old_one(candidate):
    category = _category(candidate, name="身份证明")
    assert _names(candidate) == ["身份证明"]

    category.province = ProvinceFactory(code="13")
    category.save()

    assert _names(candidate) == []


def test_exam_categories_changed_from_either_side_show_at_once(candidate):
    assistant = ExamCategoryFactory(code="210", name="临床执业助理医师")
    category = _category(candidate, name="试用期考核证明")
    assert _names(candidate) == ["试用期考核证明"]

    category.exam_categories.add(assistant)  # now only for 210; the candidate is 110
    assert _names(candidate) == []
    category.exam_categories.remove(assistant)
    assert _names(candidate) == ["试用期考核证明"]
    assistant.materialcategory_set.add(category)
    assert _names(candidate) == []
    assistant.materialcategory_set.clear()
    assert _names(candidate) == ["试用期考核证明"]
