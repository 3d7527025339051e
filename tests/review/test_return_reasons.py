"""The standard return reasons a reviewer is offered (review.selectors.return_reasons):
the province's own and the national ones; what an operator changes shows at once."""

import pytest

from review.models import ReturnReason
from review.selectors import return_reasons

pytestmark = pytest.mark.django_db


def _texts(province):
    return [r.text for r in return_reasons(province)]


def test_reasons_are_the_province_s_and_the_national_ones(org, django_assert_num_queries):
    ReturnReason.objects.all().delete()
    ReturnReason.objects.create(text="全国原因", order=1)
    ReturnReason.objects.create(province=org.province, text="本考区原因", order=2)
    ReturnReason.objects.create(province=org.other_province, text="外考区原因", order=3)

    with django_assert_num_queries(1):
        assert _texts(org.province) == ["全国原因", "本考区原因"]
    assert _texts(org.other_province) == ["全国原因", "外考区原因"]


def test_a_changed_added_deactivated_or_deleted_reason_shows_at_once(org):
    ReturnReason.objects.all().delete()
    own = ReturnReason.objects.create(province=org.province, text="图片不清晰", order=1)
    assert _texts(org.province) == ["图片不清晰"]
    assert _texts(org.other_province) == []

    own.text = "图片模糊不清"
    own.save()
    assert _texts(org.province) == ["图片模糊不清"]
    national = ReturnReason.objects.create(text="证件已过期", order=2)
    assert _texts(org.province) == ["图片模糊不清", "证件已过期"]
    assert _texts(org.other_province) == ["证件已过期"]
    national.is_active = False
    national.save()
    assert _texts(org.other_province) == []
    own.province = org.other_province
    own.save()
    assert (_texts(org.province), _texts(org.other_province)) == ([], ["图片模糊不清"])
    own.delete()
    assert _texts(org.other_province) == []
