"""The candidate's material page: what it shows, and every action without JavaScript
(plain form posts) and with it (fragments)."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.enums import CandidateStatus, ReviewLevel, SubmitMode
from materials.enums import ImageStatus
from materials.models import MaterialImage
from review.enums import EventAction
from review.models import Feedback, ReviewEvent
from tests import photos
from tests.factories.accounts import CandidateFactory, ProvinceFactory
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.materials.conftest import login_candidate
from tests.materials.helpers import stored_files

pytestmark = pytest.mark.django_db

PAGE = "/materials/"


def upload_url(category):
    return f"/materials/category/{category.pk}/upload/"


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def diploma(candidate):
    return MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="学历证明",
        code="diploma",
        required=True,
        min_count=1,
        max_count=4,
        instructions="请上传毕业证书原件照片。",
    )


def test_page_needs_candidate_session(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == "/entry/needed/"


def test_page_shows_categories_status_deadline_personal_info(
    candidate_client, candidate, category, diploma
):
    category.example_image.save("x.png", ContentFile(photos.make_png(200, 150)))
    category.attachment.save("form.pdf", ContentFile(photos.make_pdf()))
    category.attachment_name = "个人承诺书"
    category.save()
    MaterialImageFactory(candidate=candidate, category=category)
    response = candidate_client.get(PAGE)
    assert response.status_code == 200
    page = html(response)
    assert "身份证明" in page and "学历证明" in page
    assert 'class="required-mark"' in page
    assert "1 / 2" in page and "0 / 4" in page
    assert "请上传毕业证书原件照片。" in page
    assert f"/materials/example/{category.pk}/" in page and "示例" in page
    assert f"/materials/attachment/{category.pk}/" in page and "下载附件：个人承诺书" in page
    assert "填报" in page
    assert "上传截止时间" in page and "data-deadline=" in page and "剩余" in page
    assert candidate.masked_phone in page and candidate.phone not in page
    assert candidate.address in page
    assert 'href="/profile/"' in page and "修改" in page
    assert "提交审核" in page
    assert "未锁定" not in page
    assert 'enctype="multipart/form-data"' in page
    assert "static/materials/page.js" in page
    assert "<script>" not in page and "style=" not in page and "onclick" not in page


def test_page_hides_categories_that_do_not_apply(candidate_client, candidate):
    MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, name="外籍材料", tags=["外籍"]
    )
    MaterialCategoryFactory(
        province=ProvinceFactory(code="43"), exam_year=candidate.exam_year, name="别省材料"
    )
    MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, name="停用材料", is_active=False
    )
    page = html(candidate_client.get(PAGE))
    assert "外籍材料" not in page and "别省材料" not in page and "停用材料" not in page


def test_page_locked_after_submit_shows_message(candidate_client, candidate, category):
    MaterialImageFactory(candidate=candidate, category=category)
    candidate.status = CandidateStatus.SUBMITTED
    candidate.submitted_at = timezone.now()
    candidate.save()
    page = html(candidate_client.get(PAGE))
    assert "上报完成，内容已锁定。" in page
    assert "upload-form" not in page and "data-delete" not in page
    assert "提交审核</button>" not in page


def test_page_says_the_lock_once_not_under_every_category(
    candidate_client, candidate, category, diploma
):
    # Complete, as the automatic submission needs: 身份证明 takes two photos.
    MaterialImageFactory(candidate=candidate, category=category)
    MaterialImageFactory(candidate=candidate, category=category)
    MaterialImageFactory(candidate=candidate, category=diploma)
    candidate.status = CandidateStatus.SUBMITTED
    candidate.submitted_at = timezone.now()
    candidate.save()
    page = html(candidate_client.get(PAGE))
    assert page.count("内容已锁定") == 1
    assert "未锁定" not in page and page.count("已锁定") == 1


def test_page_closed_window_said_once_for_all_categories(
    candidate_client, candidate, category, diploma
):
    province = candidate.province
    province.closes_at = timezone.now() - timedelta(hours=1)
    province.save()
    MaterialImageFactory(candidate=candidate, category=category)
    page = html(candidate_client.get(PAGE))
    assert page.count("内容已锁定") == 1
    assert page.count("上传时间已于") == 1


def test_page_approved_and_returned_photos(candidate_client, candidate, category):
    approved = MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.APPROVED
    )
    returned = MaterialImageFactory(
        candidate=candidate,
        category=category,
        status=ImageStatus.RETURNED,
        return_reason="照片模糊，请重新拍摄",
    )
    candidate.status = CandidateStatus.RETURNED
    candidate.returned_by = ReviewLevel.SITE
    candidate.returned_categories = [category.pk]
    candidate.reply_deadline = timezone.now() + timedelta(hours=20)
    candidate.submitted_at = timezone.now() - timedelta(days=1)
    candidate.save()
    page = html(candidate_client.get(PAGE))
    assert "✓" in page and "审核通过" in page
    assert "退回原因：照片模糊，请重新拍摄" in page
    assert f"/materials/photo/{returned.pk}/delete/" in page
    assert f"/materials/photo/{approved.pk}/delete/" not in page
    assert "修改截止时间" in page and "重新提交" in page
    assert "本项材料被退回" in page
    assert "退回修改" in page


def test_page_feedback_newest_first(candidate_client, candidate, category):
    old = Feedback.objects.create(
        candidate=candidate,
        level=ReviewLevel.SITE,
        action=EventAction.SITE_RETURN,
        message="第一次意见",
    )
    new = Feedback.objects.create(
        candidate=candidate,
        level=ReviewLevel.SITE,
        action=EventAction.SITE_RETURN,
        message="第二次意见",
        items=[{"category": "身份证明", "category_id": category.pk, "reason": "反面缺失"}],
    )
    Feedback.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    page = html(candidate_client.get(PAGE))
    assert "审核意见" in page
    assert page.index("第二次意见") < page.index("第一次意见") < page.index("个人信息")
    assert "反面缺失" in page
    assert new.pk


def test_page_auto_save_province_has_no_submit_button(candidate_client, candidate, category):
    province = candidate.province
    province.submit_mode = SubmitMode.AUTO_SAVE
    province.save()
    page = html(candidate_client.get(PAGE))
    assert "提交审核</button>" not in page
    assert "系统自动保存" in page


def test_page_window_not_open_yet(candidate_client, candidate, category):
    province = candidate.province
    province.opens_at = timezone.now() + timedelta(days=2)
    province.save()
    page = html(candidate_client.get(PAGE))
    assert "上传开始时间" in page and "尚未开放上传" in page
    assert "upload-form" not in page


def test_page_marks_missing_required(candidate_client, category, diploma):
    page = html(candidate_client.get(PAGE))
    assert "以下必传材料尚未上传齐全" in page
    assert "还需上传 2 张" in page and "还需上传 1 张" in page


def _count_page_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(PAGE).status_code == 200
    return len(ctx.captured_queries)


def test_page_query_count_constant_with_1_and_many_photos(client, django_assert_num_queries):
    one = CandidateFactory()
    many = CandidateFactory(site=one.site)
    categories = [
        MaterialCategoryFactory(province=one.province, exam_year=one.exam_year, max_count=10)
        for _ in range(6)
    ]
    MaterialImageFactory(candidate=one, category=categories[0])
    for category in categories:
        for status in (ImageStatus.PENDING, ImageStatus.APPROVED, ImageStatus.RETURNED):
            MaterialImageFactory(candidate=many, category=category, status=status)
    Feedback.objects.create(
        candidate=many, level=ReviewLevel.SITE, action=EventAction.SITE_RETURN, message="x"
    )
    login_candidate(client, one)
    client.get(PAGE)  # the province's categories are cached from here on
    expected = _count_page_queries(client)
    login_candidate(client, many)
    assert _count_page_queries(client) == expected
    with django_assert_num_queries(expected):
        client.get(PAGE)
    assert expected <= 8


# --- without JavaScript ---------------------------------------------------------------------


def test_nojs_upload_redirects_with_message_in_category(candidate_client, candidate, category):
    response = candidate_client.post(
        upload_url(category), {"photos": photos.upload(photos.make_typical_jpeg())}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/materials/#cat-{category.pk}"
    assert MaterialImage.objects.filter(candidate=candidate, category=category).count() == 1
    page = html(candidate_client.get(PAGE))
    section = page[page.index(f'id="cat-{category.pk}"') :]
    assert "已上传 1 张" in section
    assert "1 / 2" in page
    event = ReviewEvent.objects.get(candidate=candidate, action=EventAction.IMAGE_UPLOAD)
    assert event.data["category"] == "身份证明"


def test_nojs_upload_several_files_over_count(candidate_client, candidate, category):
    files = [photos.upload(photos.make_typical_jpeg(seed=i), f"p{i}.jpg") for i in range(3)]
    candidate_client.post(upload_url(category), {"photos": files})
    assert MaterialImage.objects.filter(candidate=candidate).count() == 2
    page = html(candidate_client.get(PAGE))
    # Counted once, with the reason, rather than an error for the file left out.
    assert "已上传 2 张。" in page and "另有 1 张未上传：本项最多 2 张。" in page
    assert "p2.jpg" not in page and "已经传满" not in page


def test_nojs_upload_refused_message_in_category(candidate_client, candidate, category):
    files_before = stored_files()
    candidate_client.post(
        upload_url(category), {"photos": photos.upload(photos.make_gif(), "fake.jpg")}
    )
    assert not MaterialImage.objects.exists()
    assert stored_files() == files_before
    page = html(candidate_client.get(PAGE))
    section = page[page.index(f'id="cat-{category.pk}"') :]
    assert "GIF" in section and "errorlist" in section


def test_nojs_upload_without_file(candidate_client, category):
    candidate_client.post(upload_url(category), {})
    assert "请选择要上传的照片" in html(candidate_client.get(PAGE))


def test_upload_to_category_of_another_province_404_nothing_stored(candidate_client):
    other = MaterialCategoryFactory(province=ProvinceFactory(code="44"))
    files_before = stored_files()
    response = candidate_client.post(
        upload_url(other),
        {"photos": photos.upload(photos.make_typical_jpeg())},
        HTTP_X_YISHEN_FRAGMENT="1",
    )
    assert response.status_code == 404
    response = candidate_client.post(
        upload_url(other), {"photos": photos.upload(photos.make_typical_jpeg())}
    )
    assert response.status_code == 302
    assert not MaterialImage.objects.exists()
    assert stored_files() == files_before


def test_nojs_delete_confirmation_then_delete(
    candidate_client, candidate, category, django_capture_on_commit_callbacks
):
    image = MaterialImageFactory(candidate=candidate, category=category)
    names = [image.original.name, image.display.name, image.thumbnail.name]
    url = f"/materials/photo/{image.pk}/delete/"
    response = candidate_client.get(url)
    assert response.status_code == 200
    assert "确定删除这张图片吗？" in html(response) and "确定删除" in html(response)
    assert MaterialImage.objects.filter(pk=image.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = candidate_client.post(url)
    assert response.status_code == 302
    assert not MaterialImage.objects.filter(pk=image.pk).exists()
    assert not (set(names) & stored_files())
    assert (
        ReviewEvent.objects.filter(candidate=candidate, action=EventAction.IMAGE_DELETE).count()
        == 1
    )


def test_delete_returned_photo_is_soft(candidate_client, candidate, category):
    image = MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.RETURNED
    )
    candidate.status = CandidateStatus.RETURNED
    candidate.returned_categories = [category.pk]
    candidate.reply_deadline = timezone.now() + timedelta(hours=2)
    candidate.save()
    candidate_client.post(f"/materials/photo/{image.pk}/delete/")
    image.refresh_from_db()
    assert image.removed_at is not None
    assert image.original.storage.exists(image.original.name)


def test_delete_locked_photo_refused(candidate_client, candidate, category):
    image = MaterialImageFactory(candidate=candidate, category=category)
    candidate.status = CandidateStatus.SUBMITTED
    candidate.save()
    url = f"/materials/photo/{image.pk}/delete/"
    assert "已提交审核，内容已锁定" in html(candidate_client.get(url))
    response = candidate_client.post(url, HTTP_X_YISHEN_FRAGMENT="1")
    assert response.status_code == 409
    candidate_client.post(url)
    assert MaterialImage.objects.filter(pk=image.pk, removed_at__isnull=True).exists()


def test_delete_approved_photo_refused_even_when_unlocked(candidate_client, candidate, category):
    image = MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.APPROVED
    )
    candidate_client.post(f"/materials/photo/{image.pk}/delete/")
    assert MaterialImage.objects.filter(pk=image.pk, removed_at__isnull=True).exists()


def test_delete_another_candidates_photo_404(candidate_client, candidate, category):
    other = CandidateFactory(site=candidate.site)
    image = MaterialImageFactory(candidate=other, category=category)
    assert candidate_client.get(f"/materials/photo/{image.pk}/delete/").status_code == 404
    assert candidate_client.post(f"/materials/photo/{image.pk}/delete/").status_code == 404
    assert MaterialImage.objects.filter(pk=image.pk).exists()


def test_nojs_submit_refused_lists_missing_then_succeeds(
    candidate_client, candidate, category, diploma
):
    MaterialImageFactory(candidate=candidate, category=category)
    response = candidate_client.post("/materials/submit/")
    assert response.status_code == 302
    page = html(candidate_client.get(PAGE))
    assert "身份证明" in page and "学历证明" in page and "尚未上传齐全" in page
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DRAFT
    MaterialImageFactory(candidate=candidate, category=category)
    MaterialImageFactory(candidate=candidate, category=diploma)
    candidate_client.post("/materials/submit/")
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED
    page = html(candidate_client.get(PAGE))
    assert "上报完成，内容已锁定。" in page
    assert "upload-form" not in page and "data-delete" not in page
    assert "已提交" in page


def test_nojs_resubmit(candidate_client, candidate, category):
    MaterialImageFactory(candidate=candidate, category=category, status=ImageStatus.APPROVED)
    MaterialImageFactory(candidate=candidate, category=category)
    candidate.status = CandidateStatus.RETURNED
    candidate.returned_by = ReviewLevel.SITE
    candidate.returned_categories = [category.pk]
    candidate.reply_deadline = timezone.now() + timedelta(hours=2)
    candidate.save()
    candidate_client.post("/materials/resubmit/")
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED


# --- with JavaScript: fragments ----------------------------------------------------------


def test_fragment_upload_returns_category_and_status(candidate_client, candidate, category):
    response = candidate_client.post(
        upload_url(category),
        {"photos": photos.upload(photos.make_typical_jpeg())},
        HTTP_X_YISHEN_FRAGMENT="1",
    )
    assert response.status_code == 200
    body = html(response)
    assert f'id="cat-{category.pk}"' in body and 'id="status-panel"' in body
    assert "1 / 2" in body
    assert "<html" not in body


def test_fragment_upload_refused_400_with_message(candidate_client, category):
    response = candidate_client.post(
        upload_url(category),
        {"photos": photos.upload(photos.make_jpeg_exactly(204_801))},
        HTTP_X_YISHEN_FRAGMENT="1",
    )
    assert response.status_code == 400
    assert "204,801" in html(response)


def test_fragment_delete(candidate_client, candidate, category):
    image = MaterialImageFactory(candidate=candidate, category=category)
    response = candidate_client.post(
        f"/materials/photo/{image.pk}/delete/", HTTP_X_YISHEN_FRAGMENT="1"
    )
    assert response.status_code == 200
    assert "0 / 2" in html(response) and "已删除" in html(response)


def test_fragment_category_poll(candidate_client, candidate, category):
    MaterialImageFactory(candidate=candidate, category=category, processed=False)
    response = candidate_client.get(
        f"/materials/category/{category.pk}/", HTTP_X_YISHEN_FRAGMENT="1"
    )
    assert response.status_code == 200
    assert "处理中" in html(response) and "data-processing" in html(response)
    other = MaterialCategoryFactory(province=ProvinceFactory(code="45"))
    assert candidate_client.get(f"/materials/category/{other.pk}/").status_code == 404


def test_fragment_keeps_polling_after_processing_until_the_precheck_gives_its_advice(
    candidate_client, candidate, category
):
    from materials import processing
    from materials.precheck.services import photo_precheck

    image = MaterialImageFactory(
        candidate=candidate,
        category=category,
        processed=False,
        original=ContentFile(photos.make_blurred_jpeg(), name="x.jpg"),
    )
    url = f"/materials/category/{category.pk}/"
    # Processed (by the pipeline worker): the thumbnail shows, and the pre-check is due.
    processing.image_process(image_id=image.pk)
    body = html(candidate_client.get(url, HTTP_X_YISHEN_FRAGMENT="1"))
    assert "处理中" not in body and f"/materials/image/{image.pk}/thumb/" in body
    assert "data-processing" in body
    assert "照片可能模糊" not in body
    # Pre-checked (by the precheck worker, later): the advice shows, and polling stops.
    photo_precheck(image_id=image.pk)
    body = html(candidate_client.get(url, HTTP_X_YISHEN_FRAGMENT="1"))
    assert "照片可能模糊，建议重新拍摄。" in body
    assert "data-processing" not in body


def test_precheck_advice_is_not_shown_under_a_photo_the_reviewer_approved(
    candidate_client, candidate, category
):
    from materials.precheck.services import photo_precheck

    image = MaterialImageFactory(
        candidate=candidate,
        category=category,
        original=ContentFile(photos.make_blurred_jpeg(), name="x.jpg"),
    )
    photo_precheck(image_id=image.pk)
    url = f"/materials/category/{category.pk}/"
    assert "照片可能模糊，建议重新拍摄。" in html(
        candidate_client.get(url, HTTP_X_YISHEN_FRAGMENT="1")
    )
    MaterialImage.objects.filter(pk=image.pk).update(status=ImageStatus.APPROVED)
    body = html(candidate_client.get(url, HTTP_X_YISHEN_FRAGMENT="1"))
    assert "照片可能模糊" not in body and "photo-advice" not in body


# --- auto-save provinces -------------------------------------------------------------------


def test_autosave_upload_completing_required_submits(
    candidate_client, candidate, category, diploma
):
    province = candidate.province
    province.submit_mode = SubmitMode.AUTO_SAVE
    province.save()
    for cat, n in ((category, 2), (diploma, 1)):
        for i in range(n):
            candidate_client.post(
                upload_url(cat), {"photos": photos.upload(photos.make_typical_jpeg(seed=i))}
            )
            candidate.refresh_from_db()
            if cat is category:
                assert candidate.status == CandidateStatus.DRAFT
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED
    assert (
        ReviewEvent.objects.filter(candidate=candidate, action=EventAction.AUTO_SUBMIT).count() == 1
    )
    # Still editable until a reviewer decides: delete one, upload again.
    image = MaterialImage.objects.filter(candidate=candidate, category=diploma).first()
    candidate_client.post(f"/materials/photo/{image.pk}/delete/")
    assert not MaterialImage.objects.filter(pk=image.pk).exists()
    page = html(candidate_client.get(PAGE))
    assert "提交审核</button>" not in page


def _autosave_submitted(candidate, category, diploma):
    province = candidate.province
    province.submit_mode = SubmitMode.AUTO_SAVE
    province.closes_at = timezone.now() + timedelta(days=2)
    province.save()
    # Complete, as the automatic submission needs: 身份证明 takes two photos.
    MaterialImageFactory(candidate=candidate, category=category)
    MaterialImageFactory(candidate=candidate, category=category)
    MaterialImageFactory(candidate=candidate, category=diploma)
    candidate.status = CandidateStatus.SUBMITTED
    candidate.submitted_at = timezone.now()
    candidate.save()


def test_autosave_submitted_says_still_editable_and_not_locked(
    candidate_client, candidate, category, diploma
):
    _autosave_submitted(candidate, category, diploma)
    page = html(candidate_client.get(PAGE))
    assert "上报完成。" in page and "锁定" not in page
    assert "您仍可更换或删除图片" in page
    assert "upload-form" in page


def test_autosave_submitted_short_of_a_required_photo_says_what_to_upload_not_complete(
    candidate_client, candidate, category, diploma
):
    _autosave_submitted(candidate, category, diploma)
    image = MaterialImage.objects.filter(candidate=candidate, category=category).first()
    candidate_client.post(f"/materials/photo/{image.pk}/delete/")
    page = html(candidate_client.get(PAGE))
    # One true thing: short, and what to upload; the review goes on (no state change).
    assert "必传材料已齐全" not in page
    assert "现在有必传材料不齐全：请尽快补传下列材料" in page
    assert "以下必传材料尚未上传齐全：" in page and f'href="#cat-{category.pk}">身份证明' in page
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED


def test_autosave_submitted_after_the_window_closed_says_locked_only(
    candidate_client, candidate, category, diploma
):
    _autosave_submitted(candidate, category, diploma)
    Province = type(candidate.province)
    Province.objects.filter(pk=candidate.province_id).update(
        closes_at=timezone.now() - timedelta(hours=1)
    )
    page = html(candidate_client.get(PAGE))
    assert page.count("内容已锁定") == 1
    assert "仍可" not in page
    assert "upload-form" not in page


# --- examples and forms ----------------------------------------------------------------------


def test_example_and_attachment_downloads(client, category):
    category.example_image.save("x.png", ContentFile(photos.make_png(200, 150)))
    category.attachment.save("form.pdf", ContentFile(photos.make_pdf()))
    category.attachment_name = "临床实践训练经历满一年证明及个人承诺书"
    category.save()
    response = client.get(f"/materials/example/{category.pk}/image/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/materials/example/{category.pk}/")
    assert page.status_code == 200 and "身份证明：示例" in html(page)
    response = client.get(f"/materials/attachment/{category.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_example_missing_404(client, category):
    assert client.get(f"/materials/example/{category.pk}/image/").status_code == 404
    assert client.get(f"/materials/attachment/{category.pk}/").status_code == 404


def test_page_shows_registration_changes_notice(candidate_client, candidate, category):
    candidate.registration_changes = [
        {"field": "category", "old": "210 临床执业助理医师", "new": "110 临床执业医师"}
    ]
    candidate.save()
    page = html(candidate_client.get(PAGE))
    assert "报名信息已变更" in page and "知道了" in page
    assert "报考类别由「210 临床执业助理医师」变更为「110 临床执业医师」" in page
