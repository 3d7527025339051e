"""The catalogue in the admin (operators, the template copy) and the seeded template."""

import re

import pytest

from accounts.models import ExamCategory, ExamYear
from demo.seed.materials import TEMPLATE, seed_demo_materials
from materials.models import MaterialCategory
from materials.selectors import categories_for_candidate
from materials.services import category_copy_template
from tests.factories.accounts import (
    CandidateFactory,
    ExamYearFactory,
    ProvinceFactory,
    TestSiteFactory,
    national_admin,
    operator,
)
from tests.factories.materials import MaterialCategoryFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/materials/materialcategory/"


@pytest.fixture
def year():
    return ExamYearFactory()


@pytest.fixture
def province():
    return ProvinceFactory(code="12", name="天津")


def test_copy_template_idempotent(year, province):
    template = MaterialCategoryFactory(
        province=None, exam_year=year, code="id-card", name="身份证明"
    )
    template.exam_categories.set(
        [ExamCategory.objects.get_or_create(code="110", defaults={"name": "临床执业医师"})[0]]
    )
    MaterialCategoryFactory(province=None, exam_year=year, code="other", name="其他")
    assert category_copy_template(province=province, exam_year=year) == 2
    assert category_copy_template(province=province, exam_year=year) == 0
    copy = MaterialCategory.objects.get(province=province, code="id-card")
    assert copy.name == "身份证明" and list(
        copy.exam_categories.values_list("code", flat=True)
    ) == ["110"]


def test_admin_operator_sees_own_and_template_rows_and_copies(client, year, province):
    MaterialCategoryFactory(province=None, exam_year=year, code="id-card", name="模板身份证明")
    MaterialCategoryFactory(
        province=ProvinceFactory(code="37", name="山东"), exam_year=year, name="山东的材料"
    )
    client.force_login(operator(province))
    page = client.get(CHANGELIST).content.decode()
    assert "模板身份证明" in page and "全国模板" in page
    assert "山东的材料" not in page
    template = MaterialCategory.objects.get(code="id-card", province=None)
    response = client.post(
        CHANGELIST, {"action": "copy_template", "_selected_action": [template.pk]}, follow=True
    )
    assert "已从全国模板复制 1 个材料类别" in response.content.decode()
    assert MaterialCategory.objects.filter(province=province, code="id-card").exists()
    # The template itself stays read-only for the operator.
    change = client.post(f"{CHANGELIST}{template.pk}/change/", {"name": "改掉"})
    assert change.status_code == 403
    template.refresh_from_db()
    assert template.name == "模板身份证明"


def _form_data(year, province, **overrides):
    data = {
        "exam_year": year.pk,
        "province": province.pk,
        "code": "test",
        "name": "测试材料",
        "instructions": "",
        "order": 10,
        "min_count": 0,
        "max_count": 2,
        "max_bytes": 204800,
        "formats": ["jpeg", "png"],
        "tags": "",
        "excluded_tags": "",
        "is_active": "on",
        "precheck": "none",
    }
    data.update(overrides)
    return data


def test_admin_form_validation(client, year, province):
    client.force_login(operator(province))
    bad = client.post(f"{CHANGELIST}add/", _form_data(year, province, min_count=3, max_count=2))
    assert "最少张数不能大于最多张数" in bad.content.decode()
    bad = client.post(f"{CHANGELIST}add/", _form_data(year, province, max_bytes=100))
    assert "单张最大字节数应在" in bad.content.decode()
    bad = client.post(f"{CHANGELIST}add/", _form_data(year, province, required="on", min_count=0))
    assert "必传材料的最少张数至少为 1" in bad.content.decode()
    ok = client.post(
        f"{CHANGELIST}add/", _form_data(year, province, formats=["jpeg"], tags="港澳台、外籍")
    )
    assert ok.status_code == 302
    row = MaterialCategory.objects.get(code="test")
    assert row.formats == ["jpeg"] and row.tags == ["港澳台", "外籍"]


def test_admin_national_can_edit_template(client, year):
    template = MaterialCategoryFactory(province=None, exam_year=year)
    client.force_login(national_admin())
    assert client.get(f"{CHANGELIST}{template.pk}/change/").status_code == 200


def test_seed_demo_materials_idempotent_and_applicability(year, province):
    shandong = ProvinceFactory(code="37", name="山东")
    created = seed_demo_materials(exam_year=year, provinces=[province, shandong])
    assert created == 2 * len(TEMPLATE)
    assert seed_demo_materials(exam_year=year, provinces=[province, shandong]) == 0
    assert MaterialCategory.objects.filter(province__isnull=True, exam_year=year).count() == len(
        TEMPLATE
    )
    id_card = MaterialCategory.objects.get(province=province, code="id-card")
    assert id_card.example_image and id_card.required and id_card.max_count == 2
    pledge = MaterialCategory.objects.get(province=province, code="practice-pledge")
    assert pledge.attachment.name.endswith(".pdf")
    other = MaterialCategory.objects.get(province=province, code="other")
    assert other.is_other and not other.required and other.max_count == 10

    site = TestSiteFactory(province=province)
    physician = CandidateFactory(
        site=site, exam_year=year, category=ExamCategory.objects.get(code="110")
    )
    names = [c.name for c in categories_for_candidate(physician)]
    assert names[0] == "身份证明" and "身份证明（外籍）" not in names
    assert "执业助理医师资格证书" in names and "其他" in names
    assert "出师证书" not in names and "实习申请审核表" not in names

    assistant = CandidateFactory(
        site=site, exam_year=year, category=ExamCategory.objects.get(code="210")
    )
    assert "执业助理医师资格证书" not in [c.name for c in categories_for_candidate(assistant)]

    foreign = CandidateFactory(site=site, exam_year=year, tags=["外籍"])
    names = [c.name for c in categories_for_candidate(foreign)]
    assert "身份证明（外籍）" in names and "身份证明" not in names and "实习申请审核表" in names

    student = CandidateFactory(site=site, exam_year=year, tags=["在读研究生"])
    names = [c.name for c in categories_for_candidate(student)]
    assert "临床实践训练经历满一年证明及个人承诺书" in names
    assert "学历证明" not in names and "试用期考核合格证明" not in names

    apprentice = CandidateFactory(
        site=site, exam_year=year, tags=["师承"], category=ExamCategory.objects.get(code="143")
    )
    names = [c.name for c in categories_for_candidate(apprentice)]
    assert "出师证书" in names and "医术确有专长证书" not in names


def test_admin_operator_cannot_create_template_or_other_province_row(client, year, province):
    other = ProvinceFactory(code="37", name="山东")
    client.force_login(operator(province))
    data = _form_data(year, province)
    data["province"] = ""
    assert client.post(f"{CHANGELIST}add/", data).status_code == 200
    data["province"] = other.pk
    assert client.post(f"{CHANGELIST}add/", data).status_code == 200
    assert not MaterialCategory.objects.filter(code="test").exists()


def test_admin_reprocess_failed_photo(client, django_capture_on_commit_callbacks):
    from materials.enums import ProcessingState
    from tests.factories.materials import MaterialImageFactory

    image = MaterialImageFactory(processed=False)
    image.processing = ProcessingState.FAILED
    image.save()
    client.force_login(national_admin())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/materials/materialimage/",
            {"action": "reprocess", "_selected_action": [image.pk]},
            follow=True,
        )
    assert "已重新排队处理 1 张" in response.content.decode()
    image.refresh_from_db()
    assert image.processing == ProcessingState.READY


def test_admin_images_hidden_from_operator_of_another_province(client):
    from tests.factories.materials import MaterialImageFactory

    image = MaterialImageFactory()
    client.force_login(operator(ProvinceFactory(code="44")))
    assert client.get(f"/admin/materials/materialimage/{image.pk}/change/").status_code == 404
    client.force_login(operator(image.candidate.province))
    assert client.get(f"/admin/materials/materialimage/{image.pk}/change/").status_code == 200


def test_admin_other_province_category_answers_404(client, year, province):
    theirs = MaterialCategoryFactory(province=ProvinceFactory(code="37"), exam_year=year)
    client.force_login(operator(province))

    assert client.get(f"{CHANGELIST}{theirs.pk}/change/").status_code == 404
    assert client.post(f"{CHANGELIST}{theirs.pk}/delete/", {"post": "yes"}).status_code == 404
    assert MaterialCategory.objects.filter(pk=theirs.pk).exists()


def _selected_year(page: str) -> str | None:
    select = re.search(r'<select name="exam_year".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="(\d+)" selected>', select)
    return chosen.group(1) if chosen else None


def test_add_category_preselects_the_only_year_or_the_current_one(client, province):
    client.force_login(operator(province))
    only = ExamYearFactory(year=2026, is_current=False)
    page = client.get(f"{CHANGELIST}add/").content.decode()
    assert _selected_year(page) == str(only.pk)
    ExamYearFactory(year=2025, is_current=False)
    page = client.get(f"{CHANGELIST}add/").content.decode()
    assert _selected_year(page) is None  # two years, neither current: the operator chooses
    ExamYear.objects.filter(pk=only.pk).update(is_current=True)
    page = client.get(f"{CHANGELIST}add/").content.decode()
    assert _selected_year(page) == str(only.pk)


def test_category_list_filters_by_scope(client, year, province):
    MaterialCategoryFactory(province=None, exam_year=year, code="id-card", name="模板身份证明")
    MaterialCategoryFactory(province=province, exam_year=year, code="photo", name="天津的照片")
    client.force_login(operator(province))
    page = client.get(CHANGELIST).content.decode()
    assert 'href="?scope=national"' in page and 'href="?scope=province"' in page
    national = client.get(f"{CHANGELIST}?scope=national").content.decode()
    assert "模板身份证明" in national and "天津的照片" not in national
    own = client.get(f"{CHANGELIST}?scope=province").content.decode()
    assert "天津的照片" in own and "模板身份证明" not in own
