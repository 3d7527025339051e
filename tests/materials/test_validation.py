"""Every refusal of an upload: a clear Chinese message, no row, no file."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.enums import CandidateStatus, SubmitMode
from materials.enums import ImageStatus
from materials.models import MaterialImage
from materials.services import image_upload
from materials.validation import empty_text
from tests import photos
from tests.factories.accounts import CandidateFactory, ExamCategoryFactory, ProvinceFactory
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.materials.helpers import stored_files

pytestmark = pytest.mark.django_db


def refused(candidate, category, data, name="photo.jpg", code=None, **kwargs):
    before_files, before_rows = stored_files(), MaterialImage.objects.count()
    with pytest.raises(ValidationError) as info:
        image_upload(
            candidate=candidate, category=category, file=photos.upload(data, name), **kwargs
        )
    assert MaterialImage.objects.count() == before_rows
    assert stored_files() == before_files
    if code:
        assert info.value.code == code
    return " ".join(info.value.messages)


def test_upload_valid_jpeg_stored_under_generated_name(candidate, category):
    image = image_upload(
        candidate=candidate,
        category=category,
        file=photos.upload(photos.make_typical_jpeg(), "我的身份证.jpg"),
    ).image
    assert image.original.name.startswith("originals/")
    assert "身份证" not in image.original.name and ".jpg" not in image.original.name
    assert image.image_format == "jpeg"
    assert image.size_bytes == len(photos.make_typical_jpeg())


def test_upload_exactly_204800_bytes_accepted(candidate, category):
    image = image_upload(
        candidate=candidate,
        category=category,
        file=photos.upload(photos.make_jpeg_exactly(204_800)),
    ).image
    assert image.size_bytes == 204_800


def test_upload_204801_bytes_refused(candidate, category):
    message = refused(candidate, category, photos.make_jpeg_exactly(204_801), code="too_large")
    assert "204,801" in message and "204,800" in message


@pytest.mark.parametrize(
    "maker,actual",
    [
        (photos.make_gif, "GIF"),
        (photos.make_bmp, "BMP"),
        (photos.make_webp, "WebP"),
        (photos.make_tiff, "TIFF"),
    ],
)
def test_upload_other_format_renamed_jpg_refused(candidate, category, maker, actual):
    message = refused(candidate, category, maker(), "photo.jpg", code="format")
    assert actual in message and "JPG/PNG" in message


def test_upload_pdf_renamed_jpg_refused(candidate, category):
    message = refused(candidate, category, photos.make_pdf(), "scan.jpg", code="format")
    assert "PDF" in message


def test_upload_heic_refused_with_instructions(candidate, category):
    message = refused(candidate, category, photos.make_heic_like(), "IMG_0001.HEIC", code="heic")
    assert "兼容性最佳" in message


def test_upload_png_named_jpg_refused_extension_disagrees(candidate, category):
    message = refused(candidate, category, photos.make_png(), "photo.jpg", code="extension")
    assert ".jpg" in message and "PNG" in message


def test_upload_png_refused_when_category_only_jpeg(candidate):
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, formats=["jpeg"]
    )
    message = refused(candidate, category, photos.make_png(), "photo.png", code="format")
    assert "只接受 JPG" in message


def test_upload_truncated_jpeg_refused(candidate, category):
    message = refused(candidate, category, photos.make_truncated_jpeg(), code="corrupt")
    assert "不完整或已损坏" in message


def test_upload_truncated_png_refused(candidate, category):
    refused(candidate, category, photos.make_truncated_png(), "photo.png", code="corrupt")


def test_upload_png_bomb_refused_before_decoding(candidate, category):
    message = refused(candidate, category, photos.make_png_bomb(), "bomb.png", code="pixels")
    assert "过大" in message


def test_upload_real_png_bomb_refused(candidate, category):
    message = refused(candidate, category, photos.make_real_png_bomb(), "bomb.png", code="pixels")
    assert "9000×9000" in message


def test_upload_jpeg_with_huge_declared_size_refused(candidate, category):
    refused(candidate, category, photos.make_jpeg_bomb_header(), code="pixels")


def test_upload_empty_file_refused(candidate, category):
    message = refused(candidate, category, b"", "zero.jpg", code="empty")
    # The page's script says the same (materials.views._js_strings["empty"]).
    assert message == empty_text() == "文件是空的，请重新选择照片。"


def test_upload_over_count_refused(candidate, category):
    for seed in range(2):
        image_upload(
            candidate=candidate,
            category=category,
            file=photos.upload(photos.make_typical_jpeg(seed=seed)),
        )
    message = refused(candidate, category, photos.make_typical_jpeg(seed=3), code="count")
    assert "最多上传 2 张" in message


def test_upload_replaces_returned_photo(candidate, category):
    returned = MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.RETURNED
    )
    MaterialImageFactory(candidate=candidate, category=category)
    candidate.status = CandidateStatus.RETURNED
    candidate.returned_categories = [category.pk]
    candidate.reply_deadline = timezone.now() + timedelta(hours=24)
    candidate.save()
    image = image_upload(
        candidate=candidate, category=category, file=photos.upload(photos.make_typical_jpeg())
    ).image
    returned.refresh_from_db()
    assert returned.removed_at is not None
    assert image.replaces_id == returned.pk


def test_upload_locked_after_submit_refused(candidate, category):
    candidate.status = CandidateStatus.SUBMITTED
    candidate.save()
    message = refused(candidate, category, photos.make_typical_jpeg(), code="locked")
    assert "已锁定" in message


@pytest.mark.parametrize(
    "status", [CandidateStatus.SITE_PASSED, CandidateStatus.APPROVED, CandidateStatus.REJECTED]
)
def test_upload_locked_in_review_states_refused(candidate, category, status):
    candidate.status = status
    candidate.save()
    refused(candidate, category, photos.make_typical_jpeg(), code="locked")


def test_upload_before_window_opens_refused(category):
    candidate = CandidateFactory(site__province=category.province)
    province = candidate.province
    province.opens_at = timezone.now() + timedelta(days=1)
    province.save()
    message = refused(candidate, category, photos.make_typical_jpeg(), code="locked")
    assert "尚未开放" in message


def test_upload_after_window_closes_refused(candidate, category):
    province = candidate.province
    province.closes_at = timezone.now() - timedelta(minutes=1)
    province.save()
    message = refused(candidate, category, photos.make_typical_jpeg(), code="locked")
    assert "截止" in message


def test_upload_returned_after_reply_deadline_refused(candidate, category):
    candidate.status = CandidateStatus.RETURNED
    candidate.returned_categories = [category.pk]
    candidate.reply_deadline = timezone.now() - timedelta(minutes=1)
    candidate.save()
    message = refused(candidate, category, photos.make_typical_jpeg(), code="locked")
    assert "修改期限" in message


def test_upload_returned_category_not_returned_refused(candidate, category):
    other = MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    candidate.status = CandidateStatus.RETURNED
    candidate.returned_categories = [other.pk]
    candidate.reply_deadline = timezone.now() + timedelta(hours=3)
    candidate.save()
    refused(candidate, category, photos.make_typical_jpeg(), code="locked")


def test_upload_returned_ignores_closed_window(candidate, category):
    province = candidate.province
    province.closes_at = timezone.now() - timedelta(days=1)
    province.save()
    candidate.status = CandidateStatus.RETURNED
    candidate.returned_categories = [category.pk]
    candidate.reply_deadline = timezone.now() + timedelta(hours=3)
    candidate.save()
    image_upload(
        candidate=candidate, category=category, file=photos.upload(photos.make_typical_jpeg())
    )


def test_upload_category_of_another_province_refused(candidate):
    other = MaterialCategoryFactory(
        province=ProvinceFactory(code="41"), exam_year=candidate.exam_year
    )
    message = refused(candidate, other, photos.make_typical_jpeg(), code="category")
    assert "不适用" in message


def test_upload_category_not_applicable_by_tag_refused(candidate):
    only_foreign = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, tags=["外籍"]
    )
    refused(candidate, only_foreign, photos.make_typical_jpeg(), code="category")


def test_upload_category_not_applicable_by_exam_category_refused(candidate):
    assistant = ExamCategoryFactory(code="210", name="临床执业助理医师")
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, exam_categories=[assistant]
    )
    refused(candidate, category, photos.make_typical_jpeg(), code="category")


def test_upload_auto_save_submitted_still_editable(candidate, category):
    province = candidate.province
    province.submit_mode = SubmitMode.AUTO_SAVE
    province.save()
    candidate.status = CandidateStatus.SUBMITTED
    candidate.save()
    image_upload(
        candidate=candidate, category=category, file=photos.upload(photos.make_typical_jpeg())
    )


def test_upload_same_photo_twice_in_category_refused(candidate, category):
    data = photos.make_typical_jpeg()
    image_upload(candidate=candidate, category=category, file=photos.upload(data))
    message = refused(candidate, category, data, code="duplicate")
    assert "已经上传过" in message
