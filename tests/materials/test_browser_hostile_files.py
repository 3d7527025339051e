"""A sample of the hostile-file corpus posted by Chromium with JavaScript off, through the
page's own form (choose the file, press 提交上传): the page comes back with the message in
the category, nothing stored; a PNG carrying HTML is accepted and its display copy, as the
page shows it, carries nothing of the payload. The whole corpus is posted the same way (the
form's multipart post) by tests/materials/test_hostile_files.py."""

import re

import pytest
from django.conf import settings

from accounts.entry import payload_for_candidate, sign_entry_token
from materials.models import MaterialImage
from tests import photos
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory
from tests.materials.test_hostile_files import HTML, SCRIPT, _png_small_bomb, _svg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_js_page(_playwright_browser, live_server):
    context = _playwright_browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        base_url=live_server.url,
        java_script_enabled=False,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _enter(page):
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, max_count=5
    )
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    assert page.locator("html.js").count() == 0
    return category


def _post(page, category, name: str, data: bytes):
    page.locator(f"#file-{category.pk}").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
    )
    with page.expect_navigation():
        page.locator(f"#cat-{category.pk} .upload-submit").click()
    return page.locator(f"#cat-{category.pk}")


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("photo.jpg", lambda: HTML, "无法识别该文件"),
        ("drawing.jpg", _svg, "无法识别该文件"),
        ("bomb.png", _png_small_bomb, "不像是一张正常的照片"),
        ("photo.jpg", photos.make_gif, "您选择的文件是 GIF 格式"),
        ("scan.pdf", photos.make_pdf, "不接受 PDF 文件。请上传 JPG/PNG 格式的照片"),
    ],
    ids=["html", "svg", "small-bomb", "gif", "pdf"],
)
def test_browser_without_javascript_hostile_file_message_in_place(no_js_page, name, make, message):
    category = _enter(no_js_page)
    section = _post(no_js_page, category, name, make())
    assert message in section.locator(".upload-errors").inner_text()
    assert not MaterialImage.objects.exists()


def test_browser_without_javascript_png_with_html_accepted_display_clean(no_js_page):
    category = _enter(no_js_page)
    section = _post(no_js_page, category, "photo.png", photos.make_png(640, 480) + HTML)
    assert "已上传 1 张" in section.inner_text()
    image = MaterialImage.objects.get()
    no_js_page.reload()
    display = no_js_page.request.get(f"/materials/image/{image.pk}/display/")
    assert display.status == 200
    assert display.headers["content-type"] == "image/jpeg"
    assert SCRIPT not in display.body()
