"""The review app in English (review/locale/en): the reviewer's reasons, filters and
messages, the candidate's refusals and the export's columns when the interface speaks
English. Chinese stays the default, its text unchanged; stored texts stay Chinese."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from review.enums import EventAction
from review.exports.rows import export_header
from review.forms import QueueFilterForm, reviewer_scope
from review.models import ReturnReason
from review.reasons import STANDARD_RETURN_REASONS
from review.selectors import return_reasons
from review.services import candidate_submit
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory

pytestmark = pytest.mark.django_db


def test_the_national_reasons_are_english_and_stay_chinese_in_the_rows(org):
    ReturnReason.objects.create(province=org.province, text="照片背景不是白色", order=999)

    with translation.override("en"):
        labels = [r.label for r in return_reasons(org.province)]

    assert labels[:2] == ["Photo not clear", "Photo incomplete or cropped"]
    assert labels[-1] == "照片背景不是白色"  # a province's own reason, as its operator wrote it
    assert [r.text for r in return_reasons(org.province)][:8] == list(STANDARD_RETURN_REASONS)
    assert [r.label for r in return_reasons(org.province)][:2] == [
        "图片不清晰",
        "图片不完整或被裁切",
    ]


def test_the_queue_filter_speaks_english(org):
    profile = reviewer_scope(org.staff["province"]).profile
    with translation.override("en"):
        form = QueueFilterForm(profile=profile)
        assert str(form["status"].label) == "Status"
        assert str(form.fields["status"].choices[0][1]) == "All"
        assert str(form.fields["site"].empty_label) == "All"
        assert str(form["resubmitted"].label) == "Resubmitted after return"
        assert str(form["overdue"].label) == "Reply deadline passed"
    form = QueueFilterForm(profile=profile)
    assert str(form.fields["status"].choices[0][1]) == "全部"


def test_a_submit_refused_lists_the_missing_materials_in_english(org):
    candidate = CandidateFactory(site=org.site)
    for name in ("身份证明", "学历证明"):
        MaterialCategoryFactory(
            province=candidate.province,
            exam_year=candidate.exam_year,
            name=name,
            required=True,
            min_count=1,
        )

    with translation.override("en"), pytest.raises(ValidationError) as english:
        candidate_submit(candidate=candidate)
    with pytest.raises(ValidationError) as chinese:
        candidate_submit(candidate=candidate)

    assert english.value.messages == [
        "These required materials are not complete yet: 身份证明, 学历证明."
    ]
    assert chinese.value.messages == ["以下必传材料尚未上传齐全：身份证明、学历证明。"]


def test_the_export_columns_and_history_are_english():
    with translation.override("en"):
        assert export_header() == [
            "Registration no.",
            "Name",
            "Exam category",
            "Test site",
            "Status",
            "Status since",
            "Return/rejection reasons",
        ]
        assert str(EventAction.SUBMIT.label) == "Submitted for review"
        assert str(EventAction.PROVINCE_RETURN_TO_SITE.label) == "Returned to test site by province"
    assert export_header()[0] == "报名号"
    assert str(EventAction.SUBMIT.label) == "提交审核"
