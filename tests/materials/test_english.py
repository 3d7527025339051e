"""The materials app in English (materials/locale/en): what a candidate reads when the
interface speaks English. Chinese stays the default and its text is unchanged."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from materials.enums import HintKind, ImageStatus
from materials.models import MaterialImage
from materials.rules import category_edit_state
from materials.services import image_upload
from tests import photos
from tests.materials.helpers import stored_files

pytestmark = pytest.mark.django_db


def refused_upload(candidate, category, data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        image_upload(candidate=candidate, category=category, file=photos.upload(data, "a.jpg"))
    return " ".join(caught.value.messages)


def test_an_oversized_photo_is_refused_in_english_and_in_chinese(candidate, category):
    category.max_bytes = 10_240
    category.save()
    data = photos.make_typical_jpeg()
    assert len(data) > 10_240
    files_before = stored_files()

    with translation.override("en"):
        english = refused_upload(candidate, category, data)
    chinese = refused_upload(candidate, category, data)

    assert english.startswith("The file is ")
    assert "over the limit of 10 KB (10,240 bytes). Please make the photo smaller" in english
    assert chinese.startswith("文件大小为 ")
    assert "超过了 10 KB（10,240 字节）的限制。请缩小照片后再上传。" in chinese
    assert not MaterialImage.objects.exists() and stored_files() == files_before


def test_an_empty_file_is_refused_in_english(candidate, category):
    with translation.override("en"):
        assert (
            refused_upload(candidate, category, b"")
            == "The file is empty. Please choose the photo again."
        )


def test_the_closed_window_names_its_date_in_english(candidate, category):
    province = candidate.province
    province.opens_at = timezone.make_aware(dt.datetime(2026, 3, 1, 8, 0))
    province.closes_at = timezone.make_aware(dt.datetime(2026, 3, 5, 17, 30))
    province.save()
    after = province.closes_at + dt.timedelta(days=1)

    with translation.override("en"):
        english = category_edit_state(candidate=candidate, category=category, now=after).reason
    chinese = category_edit_state(candidate=candidate, category=category, now=after).reason

    assert english == "Uploading closed on 5 March 2026, 17:30. Your materials are locked."
    assert chinese == "上传时间已于 2026年3月5日 17:30 截止，内容已锁定。"


def test_photo_states_and_quality_hints_have_english_labels():
    with translation.override("en"):
        assert [str(label) for label in ImageStatus.labels] == [
            "Pending review",
            "Approved",
            "Returned",
        ]
        assert str(HintKind.BLURRED.label) == "Photo may be blurred"
    assert str(ImageStatus.RETURNED.label) == "退回"
