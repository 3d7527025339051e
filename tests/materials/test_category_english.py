"""Material and exam categories in the reader's language: the English an operator typed (or
that ships with Yishen) for a reader of English, the Chinese when there is none, and the
Chinese, unchanged, for a reader of Chinese."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.entry import EntryClaims
from accounts.enums import ReviewLevel
from accounts.exam_categories import (
    EXAM_CATEGORIES,
    EXAM_CATEGORIES_EN,
    name_exam_categories_in_english,
)
from accounts.models import ExamCategory
from accounts.services.entry import registration_apply
from demo.seed.materials import TEMPLATE, seed_demo_materials
from materials.models import MaterialCategory
from materials.services import category_copy_template, image_upload
from review.enums import EventAction
from review.models import Feedback
from review.services import candidate_submit
from tests import photos
from tests.config.test_english_pages import HAN
from tests.factories.accounts import ExamYearFactory, operator, site_reviewer
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.materials.conftest import login_candidate
from tests.staff import StaffClient

pytestmark = pytest.mark.django_db

PAGE = "/materials/"


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def passport(candidate):
    """A category with its English texts."""
    return MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="身份证明（外籍）",
        name_en="Proof of identity (foreign nationals)",
        instructions="请上传有效护照照片。",
        instructions_en="Upload photos of your valid passport.",
        attachment_name="护照信息页说明",
        attachment_name_en="Notes on the passport's information page",
        required=True,
        min_count=1,
    )


@pytest.fixture
def untranslated(candidate):
    """A category the operator has not translated."""
    return MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="实习申请审核表",
        instructions="请上传实习申请审核表。",
    )


def test_the_texts_follow_the_reader_language_and_fall_back_to_chinese(passport, untranslated):
    with translation.override("en"):
        assert passport.localized_name == "Proof of identity (foreign nationals)"
        assert str(passport) == "Proof of identity (foreign nationals)"
        assert passport.localized_instructions == "Upload photos of your valid passport."
        assert passport.localized_attachment_name == "Notes on the passport's information page"
        assert untranslated.localized_name == "实习申请审核表"
        assert untranslated.localized_instructions == "请上传实习申请审核表。"
        # No attachment name in either language: the download reads as the category.
        assert untranslated.localized_attachment_name == "实习申请审核表"
    assert passport.localized_name == "身份证明（外籍）"
    assert str(passport) == "身份证明（外籍）"
    assert passport.localized_instructions == "请上传有效护照照片。"
    assert passport.localized_attachment_name == "护照信息页说明"


def test_an_english_reader_sees_english_names_and_the_chinese_where_there_is_none(
    client, candidate, passport, untranslated
):
    page = english(login_candidate(client, candidate)).get(PAGE).content.decode()
    assert "Proof of identity (foreign nationals)" in page
    assert "Upload photos of your valid passport." in page
    assert "身份证明（外籍）" not in page and "请上传有效护照照片。" not in page
    assert "实习申请审核表" in page and "请上传实习申请审核表。" in page
    # The exam category ships with its English name.
    assert "Licensed Physician (Clinical Medicine)" in page
    assert "临床执业医师" not in page
    assert "Supporting documents for your registration" in page


def test_a_chinese_reader_sees_the_chinese_names(client, candidate, passport, untranslated):
    page = login_candidate(client, candidate).get(PAGE).content.decode()
    assert "身份证明（外籍）" in page and "请上传有效护照照片。" in page
    assert "实习申请审核表" in page
    assert "临床执业医师" in page
    assert "Proof of identity" not in page and "Licensed Physician" not in page


def test_the_profile_names_the_exam_category_in_english_and_spaces_the_phone(client, candidate):
    candidate.phone = "13812345678"
    candidate.save()
    page = english(login_candidate(client, candidate)).get("/profile/").content.decode()
    assert "110 Licensed Physician (Clinical Medicine)" in page
    assert "Current mobile number: <strong>138" in page


def test_an_upload_refusal_names_the_category_in_english(candidate, passport):
    MaterialImageFactory(candidate=candidate, category=passport)
    passport.max_count = 1
    passport.save()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        image_upload(
            candidate=candidate,
            category=passport,
            file=photos.upload(photos.make_typical_jpeg(), "a.jpg"),
        )
    assert "Proof of identity (foreign nationals)" in " ".join(caught.value.messages)


def test_a_returned_item_names_its_category_in_the_reader_language(
    client, candidate, passport, untranslated
):
    Feedback.objects.create(
        candidate=candidate,
        level=ReviewLevel.SITE,
        action=EventAction.SITE_RETURN,
        message="",
        items=[
            {"category": passport.name, "category_id": passport.pk, "reason": "Blurred"},
            {"category": untranslated.name, "category_id": untranslated.pk, "reason": "Missing"},
        ],
    )
    login_candidate(client, candidate)
    chinese = client.get(PAGE).content.decode()
    assert "<strong>身份证明（外籍）</strong>" in chinese
    page = english(client).get(PAGE).content.decode()
    assert "<strong>Proof of identity (foreign nationals)</strong>" in page
    assert "<strong>实习申请审核表</strong>" in page


def test_a_reviewer_reading_english_sees_the_english_names(candidate, passport):
    MaterialImageFactory(candidate=candidate, category=passport)
    candidate_submit(candidate=candidate)
    reviewer = english(StaffClient())
    reviewer.force_login(site_reviewer(candidate.site))
    page = reviewer.get(f"/review/c/{candidate.pk}/").content.decode()
    assert "Proof of identity (foreign nationals)" in page
    assert "Licensed Physician (Clinical Medicine)" in page
    queue = reviewer.get("/review/").content.decode()
    assert "Licensed Physician (Clinical Medicine)" in queue


def test_the_operator_fills_the_english_texts_in_the_admin(candidate, passport):
    admin = StaffClient()
    admin.force_login(operator(candidate.province))
    url = reverse("admin:materials_materialcategory_change", args=[passport.pk])
    form = admin.get(url).content.decode()
    assert "英文（可选）" in form
    for field in ("name_en", "instructions_en", "attachment_name_en"):
        assert f'name="{field}"' in form
    assert "使用英文界面的考生看到的名称；留空时显示中文名称。" in form


def test_a_copy_of_the_national_template_keeps_its_english(candidate):
    MaterialCategoryFactory(
        province=None,
        exam_year=candidate.exam_year,
        code="id-passport",
        name="身份证明（外籍）",
        name_en="Proof of identity (foreign nationals)",
        instructions_en="Upload photos of your valid passport.",
    )
    assert category_copy_template(province=candidate.province, exam_year=candidate.exam_year) == 1
    copy = MaterialCategory.objects.get(province=candidate.province, code="id-passport")
    assert copy.name_en == "Proof of identity (foreign nationals)"
    assert copy.instructions_en == "Upload photos of your valid passport."


def test_the_shipped_template_has_english_without_chinese_in_it(candidate):
    seed_demo_materials(exam_year=ExamYearFactory(year=2031), provinces=[candidate.province])
    rows = MaterialCategory.objects.filter(province=candidate.province, exam_year__year=2031)
    assert rows.count() == len(TEMPLATE)
    for row in rows:
        assert row.name_en and row.instructions_en, row.code
        assert not HAN.search(row.name_en + row.instructions_en + row.attachment_name_en)
        if row.attachment:
            assert row.attachment_name_en


def test_the_shipped_exam_categories_have_their_english_names():
    names = dict(ExamCategory.objects.values_list("code", "name_en"))
    assert set(EXAM_CATEGORIES_EN) == {code for code, _name in EXAM_CATEGORIES}
    assert {code: names[code] for code in EXAM_CATEGORIES_EN} == EXAM_CATEGORIES_EN
    with translation.override("en"):
        assert str(ExamCategory.objects.get(code="210")) == (
            "210 Licensed Assistant Physician (Clinical Medicine)"
        )
    assert str(ExamCategory.objects.get(code="210")) == "210 临床执业助理医师"


def test_an_exam_category_an_operator_renamed_or_named_is_left_as_it_is():
    ExamCategory.objects.filter(code="110").update(name="临床类别执业医师", name_en="")
    ExamCategory.objects.filter(code="120").update(name_en="Dental Physician")
    ExamCategory.objects.filter(code="130").update(name_en="")
    assert name_exam_categories_in_english(ExamCategory) == 1
    names = dict(ExamCategory.objects.values_list("code", "name_en"))
    assert names["110"] == ""
    assert names["120"] == "Dental Physician"
    assert names["130"] == "Licensed Physician (Public Health)"


def test_a_registration_change_records_the_chinese_category_whatever_the_language(candidate):
    new_category = ExamCategory.objects.get(code="210")
    claims = EntryClaims(
        reg_no=candidate.reg_no,
        year=candidate.exam_year.year,
        name=candidate.name,
        id_type=candidate.id_type,
        id_no=candidate.id_no,
        province=candidate.province.code,
        site=candidate.site.code,
        category="210",
        tags=tuple(candidate.tags),
        iat=0,
        nonce="n",
    )
    with translation.override("en"):
        changes = registration_apply(
            candidate,
            claims=claims,
            province=candidate.province,
            site=candidate.site,
            category=new_category,
        )
    category_change = next(c for c in changes if c["field"] == "category")
    assert category_change == {
        "field": "category",
        "old": "110 临床执业医师",
        "new": "210 临床执业助理医师",
    }
