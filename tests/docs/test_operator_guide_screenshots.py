"""The operator guide's pictures (docs/operator-guide.md), taken of the real pages in
Chromium: an operator of the demo's 天津 (12) enrols the second factor, logs in to the admin
and opens each page the guide walks through; the test checks that each page shows what the
guide says it shows, and saves a PNG of it.

Where the pictures go: with YISHEN_GUIDE_SCREENSHOTS=1 (`make guide-screenshots`) into
docs/img/operator-guide/, where the guide embeds them and they are committed; otherwise into
a temporary directory. A PNG of the same page is not the same bytes from run to run (times,
counts, font hinting), so writing into the work tree on every test run would leave it dirty;
the pages are still opened and checked on every run, so a page the guide shows cannot break
unnoticed, and the pictures are renewed on purpose by one command."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Province
from demo.seed.accounts import DEMO_PASSWORD, seed_demo_accounts
from demo.seed.materials import seed_demo_materials
from demo.seed.review import seed_demo_review
from materials.models import MaterialCategory
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.staff import authenticator, totp_code

ROOT = Path(__file__).resolve().parents[2]
GUIDE_IMAGES = ROOT / "docs" / "img" / "operator-guide"
# The machines that run the tests may have no Chinese font (Debian's Chromium then draws
# boxes): the pictures use the project's own watermark font (Noto Sans SC, GB 2312 subset).
FONTS = ROOT / "materials" / "fonts"
# Every picture docs/operator-guide.md embeds, in the order the guide shows them.
PICTURES = [
    "01-2fa-setup.png",
    "02-admin-index.png",
    "03-province.png",
    "04-categories.png",
    "05-category.png",
    "06-sms-template.png",
    "07-staff-add.png",
    "11-staff-import.png",
    "12-roster-import.png",
    "08-dashboard.png",
    "09-candidates.png",
    "10-exports.png",
]


# The sheets the operator uploads in the pictures: a few good rows and a few the report
# refuses (a bad mobile, a site of another province; a duplicate, an unknown site).
STAFF_SHEET = """考点代码,姓名,手机号码,用户名,角色
1201,张明,13800001201,zhangming1201,考点审核员
1202,李华,13800001202,lihua1202,考点审核员
,王芳,13800001299,wangfang12,考区审核员
1203,赵强,1380000,zhaoqiang1203,考点审核员
1301,孙丽,13800001301,sunli1301,考点审核员
"""
ROSTER_SHEET = """报名号,年度,姓名,证件类型,证件号码,考区代码,考点代码,报考类别代码,考生标记,手机号码
{year}1201900001,{year},周新,居民身份证,120101199203040011,12,1201,110,应届毕业生,13800009001
{year}1202900002,{year},吴晓,居民身份证,120101199305060022,12,1202,210,,138 0000 9002
{year}1203900003,{year},郑宁,居民身份证,120101199407080033,12,1299,110,,13800009003
{year}1201900004,{year},冯远,居民身份证,120101199509100044,12,1201,110,,1380000
"""


def _csv(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}


@pytest.fixture
def picture_dir(tmp_path) -> Path:
    if os.environ.get("YISHEN_GUIDE_SCREENSHOTS") == "1":
        GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
        return GUIDE_IMAGES
    return tmp_path


@pytest.fixture
def desk(_playwright_browser, live_server, tmp_path):
    """An operator's desk-sized window in a Chromium that finds the project's Chinese font
    (fontconfig reads the system's configuration plus the project's font directory)."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{FONTS}</dir></fontconfig>"
    )
    browser = _playwright_browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        env={**os.environ, "FONTCONFIG_FILE": str(conf)},
    )
    ctx = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 860}, locale="zh-CN"
    )
    ctx.set_default_timeout(15_000)
    yield ctx.new_page()
    browser.close()


def _shoot(pg, directory: Path, name: str) -> None:
    path = directory / name
    pg.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000, name  # a picture of a page, not an empty one


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_guide_pages_show_what_the_guide_says_and_are_photographed(desk, picture_dir):
    # The demo's data (`make run`), for 天津 only; the review seed also puts back the
    # standard return reasons, which a transactional test may have flushed.
    exam_year, _provinces, _report = seed_demo_accounts()
    tianjin = Province.objects.get(code="12")
    seed_demo_materials(exam_year=exam_year, provinces=[tianjin])
    seed_demo_review(exam_year=exam_year, provinces=[tianjin])
    operator = get_user_model().objects.get(username="operator12")

    # 1. First log-in: the password, then the authenticator's enrolment page (QR code).
    desk.goto("/admin/login/?next=/admin/")
    desk.locator("#id_username").fill("operator12")
    desk.locator("#id_password").fill(DEMO_PASSWORD)
    desk.locator("input[type=submit]").click()
    desk.wait_for_url(re.compile(r"/staff/2fa/setup/"))
    assert desk.locator("img, svg").count() >= 1  # the QR code
    _shoot(desk, picture_dir, "01-2fa-setup.png")

    # The enrolment itself is tested in tests/accounts; here the operator's authenticator is
    # made as enrolment makes it, and the code it shows is typed in.
    device = authenticator(operator)
    desk.goto("/staff/2fa/?next=/admin/")
    desk.locator("#id_token").fill(totp_code(device))
    desk.get_by_role("button", name="验证").click()
    desk.wait_for_url(re.compile(r"/admin/$"))
    assert "考区管理" in desk.content()
    _shoot(desk, picture_dir, "02-admin-index.png")

    # 2. The province: window, submit mode, return time, SMS texts, watermark.
    desk.goto(f"/admin/accounts/province/{tianjin.pk}/change/")
    for field in (
        "opens_at",
        "closes_at",
        "submit_mode",
        "reply_hours",
        "watermark_text",
        "window_reminder_hours",
        "sms_window_reminder_text",
        "quiet_start",
        "quiet_end",
    ):
        assert desk.locator(f"[name^={field}]").count() >= 1, field
    _shoot(desk, picture_dir, "03-province.png")

    # 3. The materials: the list (with the national template) and one category with its
    #    example picture and attachment.
    desk.goto("/admin/materials/materialcategory/")
    assert desk.get_by_role("option", name=re.compile("复制全国模板")).count() == 1
    _shoot(desk, picture_dir, "04-categories.png")
    category = (
        MaterialCategory.objects.filter(province=tianjin).exclude(attachment="").first()
        or MaterialCategory.objects.filter(province=tianjin).first()
    )
    desk.goto(f"/admin/materials/materialcategory/{category.pk}/change/")
    for field in ("name_en", "example_image", "attachment", "min_count", "max_count", "max_bytes"):
        assert desk.locator(f"[name={field}]").count() == 1, field
    _shoot(desk, picture_dir, "05-category.png")

    # 4. An SMS template for the provider.
    desk.goto("/admin/notifications/smstemplate/add/")
    for field in ("kind", "template_code", "sign_name", "params"):
        assert desk.locator(f"[name={field}]").count() == 1, field
    # The template's language (the page's language switch is a button of the same name).
    assert desk.locator("select[name=language]").count() == 1
    _shoot(desk, picture_dir, "06-sms-template.png")

    # 5. A staff account.
    desk.goto("/admin/accounts/staffaccount/add/")
    for field in ("username", "role", "site"):
        assert desk.locator(f"[name={field}]").count() == 1, field
    _shoot(desk, picture_dir, "07-staff-add.png")

    # 5b. Reviewers imported from a sheet: the check's report (nothing written yet).
    desk.goto("/admin/accounts/staffaccount/import/")
    desk.locator("#id_file").set_input_files(_csv("reviewers.csv", STAFF_SHEET))
    desk.get_by_role("button", name="检查文件").click()
    report = desk.locator("#staff-import-report")
    assert "共 5 行（天津）：3 行可以导入，2 行有问题。" in report.inner_text()
    assert desk.locator("#staff-import-problems tbody tr").count() == 2
    assert desk.get_by_role("button", name="确认导入").count() == 1
    _shoot(desk, picture_dir, "11-staff-import.png")

    # 5c. The roster, imported from the registration system's file, and its report.
    desk.goto("/admin/accounts/candidate/import/")
    roster = ROSTER_SHEET.format(year=exam_year.year)
    desk.locator("#id_file").set_input_files(_csv("roster.csv", roster))
    desk.get_by_role("button", name="导入").click()
    report = desk.locator("#roster-import-report")
    assert "新增 2 人，更新 0 人，无变化 0 人，未导入 2 行。" in report.inner_text()
    assert desk.locator("#roster-import-refused tbody tr").count() == 2
    _shoot(desk, picture_dir, "12-roster-import.png")

    # 6. Following the review, the candidates, and the results export.
    desk.goto("/review/dashboard/")
    assert tianjin.name in desk.content()
    _shoot(desk, picture_dir, "08-dashboard.png")
    desk.goto("/admin/accounts/candidate/")
    assert desk.locator("#result_list").count() == 1
    _shoot(desk, picture_dir, "09-candidates.png")
    desk.goto("/api/v1/exports/")
    assert desk.locator("form").count() >= 1
    _shoot(desk, picture_dir, "10-exports.png")

    assert sorted(p.name for p in picture_dir.glob("*.png")) == sorted(PICTURES)


def test_operator_guide_embeds_exactly_the_pictures_the_test_takes():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "operator-guide.md").read_text()
    embedded = re.findall(r"\]\(img/operator-guide/([^)]+\.png)\)", guide)
    assert sorted(set(embedded)) == sorted(PICTURES)
    for name in PICTURES:
        assert (GUIDE_IMAGES / name).is_file(), name
