"""The candidate's page in Chromium, with JavaScript and without: the upload window that
closes (or has closed), the confirmation before 提交审核 and 重新提交, the final result."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.entry import payload_for_candidate, sign_entry_token
from review import services
from tests.factories.accounts import (
    CandidateFactory,
    ProvinceFactory,
    TestSiteFactory,
    province_reviewer,
    site_reviewer,
)
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.factories.review import candidate_with_photos

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_js_page(_playwright_browser, live_server):
    """The same phone-sized page with JavaScript switched off."""
    context = _playwright_browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        base_url=live_server.url,
        java_script_enabled=False,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _enter(page, candidate):
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")


def _site_candidate(*, opens_at, closes_at, activated=True, **kwargs):
    province = ProvinceFactory(opens_at=opens_at, closes_at=closes_at)
    site = TestSiteFactory(province=province, name="和平区考点")
    candidate = CandidateFactory(site=site, province=province, activated=activated, **kwargs)
    MaterialCategoryFactory(
        province=province, exam_year=candidate.exam_year, name="身份证明", required=True
    )
    return candidate


# --- the window ---------------------------------------------------------------------------


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_browser_closed_window_names_the_site_and_says_past(js, page, no_js_page):
    now = timezone.now()
    candidate = _site_candidate(
        opens_at=now - timedelta(days=9), closes_at=now - timedelta(hours=2)
    )
    tab = page if js else no_js_page
    _enter(tab, candidate)
    tab.wait_for_url(re.compile(r"/materials/$"))
    panel = tab.locator("#status-panel")
    text = panel.inner_text()
    assert "上传截止时间" in text and "已截止" in text
    assert "剩余" not in text and "0分" not in text and "0 分" not in text
    notice = tab.locator("#window-closed").inner_text()
    assert "请联系您报考的考点：和平区考点" in notice
    # Nothing was uploaded: the notice says closed, not that content is locked.
    assert "截止。" in notice and "锁定" not in notice
    assert tab.locator(".upload-form").count() == 0
    assert tab.get_by_role("button", name="提交审核").count() == 0


def test_browser_deadline_passing_on_an_open_page_says_past_never_zero(page):
    now = timezone.now()
    candidate = _site_candidate(
        opens_at=now - timedelta(days=9), closes_at=now + timedelta(seconds=12)
    )
    _enter(page, candidate)
    page.wait_for_url(re.compile(r"/materials/$"))
    countdown = page.locator("#status-panel .deadline .countdown")
    assert "剩余" in countdown.inner_text()
    # The page fetches itself again once the moment has passed: the closed notice appears.
    page.locator("#window-closed").wait_for(timeout=30_000)
    assert "已截止" in page.locator("#status-panel .deadline").inner_text()
    assert "剩余" not in page.locator("#status-panel").inner_text()
    assert page.locator(".upload-form").count() == 0


def test_browser_window_opening_on_an_open_page_says_started_then_opens(page):
    now = timezone.now()
    candidate = _site_candidate(
        opens_at=now + timedelta(seconds=12), closes_at=now + timedelta(days=3)
    )
    _enter(page, candidate)
    page.wait_for_url(re.compile(r"/materials/$"))
    assert "尚未开放上传" in page.locator("#window-closed").inner_text()
    assert page.locator(".upload-form").count() == 0
    page.wait_for_function(
        "() => { const el = document.querySelector('.countdown[data-past]');"
        " return el && el.textContent === '（已开始）'; }",
        timeout=30_000,
    )
    # Then the page as the server now sees it: open, counting down to the close.
    page.locator(".upload-form").first.wait_for(timeout=30_000)
    assert page.locator("#window-closed").count() == 0
    assert "剩余" in page.locator("#status-panel .deadline").inner_text()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_browser_new_candidate_told_before_activation(js, page, no_js_page):
    now = timezone.now()
    candidate = _site_candidate(
        opens_at=now - timedelta(days=9), closes_at=now - timedelta(hours=2), activated=False
    )
    tab = page if js else no_js_page
    _enter(tab, candidate)
    tab.wait_for_url(re.compile(r"/materials/$"))
    assert tab.get_by_role("heading", name="当前不在材料上传时间内").count() == 1
    assert "请联系您报考的考点：和平区考点" in tab.locator("main").inner_text()
    assert tab.locator(".steps").count() == 0
    # Activating anyway is the candidate's choice: the first of the four steps.
    tab.get_by_role("link", name="仍要激活并查看材料要求").click()
    tab.wait_for_url(re.compile(r"/activate/confirm/$"))


# --- confirming 提交审核 and 重新提交 ----------------------------------------------------------


def _ready_to_submit():
    candidate = CandidateFactory()
    id_card = MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="身份证明",
        required=True,
        min_count=2,
        max_count=2,
        order=1,
    )
    diploma = MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="学历证明",
        required=True,
        order=2,
    )
    MaterialImageFactory.create_batch(2, candidate=candidate, category=id_card)
    MaterialImageFactory(candidate=candidate, category=diploma)
    return candidate


def _focused_inside(page, selector) -> bool:
    return page.evaluate(
        "(sel) => document.querySelector(sel).contains(document.activeElement)", selector
    )


def test_browser_submit_dialog_lists_what_locks_cancel_and_confirm_by_keyboard(page):
    candidate = _ready_to_submit()
    _enter(page, candidate)
    page.wait_for_url(re.compile(r"/materials/$"))
    button = page.locator("#status-panel").get_by_role("button", name="提交审核")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="确认提交审核？")
    dialog.wait_for(state="visible")
    text = dialog.inner_text()
    assert "提交后，以下材料将全部锁定" in text
    assert "身份证明：2 张图片" in text and "学历证明：1 张图片" in text
    assert dialog.locator(".lock-thumbs img").count() == 3
    assert _focused_inside(page, "#confirm-submit")
    # Escape cancels: nothing submitted, focus back on the button.
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.textContent.trim()") == "提交审核"
    candidate.refresh_from_db()
    assert candidate.status == "draft"
    # Again, and confirm with the keyboard (focus starts on 取消, the safe choice).
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    assert page.evaluate("document.activeElement.textContent.trim()") == "取消"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "确认提交"
    page.keyboard.press("Enter")
    page.locator(".submitted-message").wait_for()
    assert "上报完成，内容已锁定。" in page.locator(".submitted-message").inner_text()
    candidate.refresh_from_db()
    assert candidate.status == "submitted"
    assert page.locator(".upload-form").count() == 0


def test_browser_no_js_submit_goes_through_the_confirmation_page(no_js_page):
    candidate = _ready_to_submit()
    _enter(no_js_page, candidate)
    no_js_page.wait_for_url(re.compile(r"/materials/$"))
    no_js_page.locator("#status-panel").get_by_role("button", name="提交审核").click()
    no_js_page.wait_for_url(re.compile(r"/materials/submit/"))
    main = no_js_page.locator("main").inner_text()
    assert "确认提交审核？" in main
    assert "身份证明：2 张图片" in main and "学历证明：1 张图片" in main
    candidate.refresh_from_db()
    assert candidate.status == "draft"
    # 取消 goes back without submitting.
    no_js_page.get_by_role("link", name="取消").click()
    no_js_page.wait_for_url(re.compile(r"/materials/$"))
    candidate.refresh_from_db()
    assert candidate.status == "draft"
    no_js_page.locator("#status-panel").get_by_role("button", name="提交审核").click()
    no_js_page.get_by_role("button", name="确认提交").click()
    no_js_page.wait_for_url(re.compile(r"/materials/"))
    assert "上报完成，内容已锁定。" in no_js_page.locator(".submitted-message").inner_text()
    candidate.refresh_from_db()
    assert candidate.status == "submitted"


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_browser_resubmit_confirmation_lists_what_locks_again(js, page, no_js_page):
    candidate, cats, imgs = candidate_with_photos(photos=2, categories=2)
    site_staff = site_reviewer(candidate.site)
    services.image_return(image=imgs[0], by=site_staff, reason="图片不清晰")
    services.candidate_return(candidate=candidate, by=site_staff)
    imgs[0].removed_at = timezone.now()
    imgs[0].save()
    MaterialImageFactory(candidate=candidate, category=cats[0], replaces=imgs[0])
    tab = page if js else no_js_page
    _enter(tab, candidate)
    tab.wait_for_url(re.compile(r"/materials/$"))
    tab.locator("#status-panel").get_by_role("button", name="重新提交").click()
    if js:
        box = tab.get_by_role("dialog", name="确认重新提交？")
        box.wait_for(state="visible")
    else:
        tab.wait_for_url(re.compile(r"/materials/resubmit/"))
        box = tab.locator("main")
    text = box.inner_text()
    assert "重新提交后，以下材料将再次锁定" in text
    assert f"{cats[0].name}：2 张图片" in text
    assert cats[1].name not in text  # never unlocked
    box.get_by_role("button", name="确认重新提交").click()
    tab.locator("#status-panel .status-submitted").wait_for()
    candidate.refresh_from_db()
    assert candidate.status == "submitted"


# --- the final result -----------------------------------------------------------------------


def test_browser_final_result_with_date_and_earlier_feedback_handled(page):
    candidate, _cats, imgs = candidate_with_photos(photos=2)
    site_staff = site_reviewer(candidate.site)
    services.image_return(image=imgs[0], by=site_staff, reason="图片不清晰")
    services.candidate_return(candidate=candidate, by=site_staff, message="请更换第一张")
    candidate.refresh_from_db()
    imgs[0].removed_at = timezone.now()
    imgs[0].save()
    MaterialImageFactory(candidate=candidate, category=imgs[0].category, replaces=imgs[0])
    services.candidate_resubmit(candidate=candidate)
    services.images_approve_remaining(candidate=candidate, by=site_staff)
    services.candidate_site_pass(candidate=candidate, by=site_staff)
    services.candidate_approve(candidate=candidate, by=province_reviewer(candidate.province))
    candidate.refresh_from_db()

    _enter(page, candidate)
    page.wait_for_url(re.compile(r"/materials/$"))
    result = page.locator("#final-result")
    decided = timezone.localtime(candidate.status_changed_at)
    text = result.inner_text()
    assert "审核通过" in text
    assert f"{decided.year}年{decided.month}月{decided.day}日 {decided:%H:%M}" in text
    # The result comes before the earlier feedback, which is marked handled.
    assert page.evaluate(
        "() => !!(document.getElementById('final-result').compareDocumentPosition("
        "document.querySelector('.feedback')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    item = page.locator(".feedback-item")
    assert item.count() == 1
    assert "请更换第一张" in item.inner_text() and "已处理" in item.inner_text()
    assert page.locator("text=待处理").count() == 0
