"""The review app in English (review/locale/en): the reviewer's reasons, filters and
messages, the candidate's refusals and the export's columns when the interface speaks
English. Chinese stays the default, its text unchanged; stored texts stay Chinese."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus
from review import services
from review.enums import EventAction
from review.exports.rows import export_header
from review.forms import QueueFilterForm, reviewer_scope
from review.models import ReturnReason
from review.reasons import STANDARD_RETURN_REASONS
from review.selectors import return_reasons
from review.services import candidate_submit
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory
from tests.factories.review import candidate_with_photos
from tests.materials.conftest import login_candidate

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


def test_the_workbench_offers_english_reasons_and_the_photo_keeps_the_chinese_one(client, org):
    candidate, _cats, imgs = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, site=org.site, photos=1
    )
    client.force_login(org.staff["site"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    reason = ReturnReason.objects.get(province=None, text="图片不清晰")
    assert f'<option value="{reason.pk}">Photo not clear</option>' in body
    assert ">图片不清晰<" not in body  # shown in English; only option values stay Chinese

    client.post(
        reverse("review:image_return", kwargs={"pk": candidate.pk, "image_pk": imgs[0].pk}),
        {"reason": reason.pk, "text": "", "expected_status": "submitted"},
    )
    imgs[0].refresh_from_db()
    assert imgs[0].status == ImageStatus.RETURNED
    assert imgs[0].return_reason == "图片不清晰"  # what the candidate reads, in Chinese


def test_a_standard_return_reason_reads_in_english_and_a_typed_one_as_written(client, org):
    candidate, cats, imgs = candidate_with_photos(site=org.site, photos=2)
    expired = ReturnReason.objects.get(province=None, text="证件已过期")
    services.image_return(image=imgs[0], by=org.staff["site"], reason=expired, text="正面反光")
    services.image_return(image=imgs[1], by=org.staff["site"], reason=None, text="请拍清楚")
    services.candidate_return(candidate=candidate, by=org.staff["site"], message="")
    imgs[0].refresh_from_db()
    assert imgs[0].return_reason == "证件已过期：正面反光"  # the record stays Chinese

    # The candidate, in English: the photo's reason and the 审核意见 line.
    candidate.language = "en"
    candidate.save(update_fields=["language"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = login_candidate(client, candidate).get("/materials/").content.decode()
    assert "Document expired: 正面反光" in page
    assert f"<strong>{cats[0].name}</strong>: Document expired: 正面反光" in page
    assert "请拍清楚" in page
    assert "证件已过期" not in page

    # The reviewer, in English: the photo and the history.
    client.force_login(org.staff["site"])
    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    assert "Document expired: 正面反光" in body
    assert "证件已过期" not in body

    # In Chinese, as recorded.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    assert "证件已过期：正面反光" in body
