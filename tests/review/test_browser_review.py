"""The whole two-level review in Chromium: the site reviewer returns one photo with a
standard reason; the candidate sees it, replaces the photo and resubmits; the site reviewer
approves and passes; the province reviewer approves; the candidate sees 审核通过; two SMS."""

import re

import pytest
from django.conf import settings

from accounts.entry import payload_for_candidate, sign_entry_token
from accounts.enums import CandidateStatus
from demo.seed.review import seed_return_reasons
from materials.enums import ImageStatus
from materials.models import MaterialImage
from notifications.models import Notification
from tests.factories.accounts import PASSWORD, province_reviewer, site_reviewer
from tests.factories.review import candidate_with_photos
from tests.photos import make_jpeg
from tests.staff import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _context(page, base: str):
    """A second browser (a reviewer's desk) beside the candidate's phone."""
    ctx = page.context.browser.new_context(
        base_url=base, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    ctx.set_default_timeout(15_000)
    return ctx.new_page()


def _login(pg, base, user):
    browser_login(pg, user, password=PASSWORD, base=base)


def _open(pg, base, candidate):
    pg.goto(f"{base}/review/c/{candidate.pk}/")
    assert candidate.reg_no in pg.content()


def test_browser_two_level_review_with_return_and_resubmit(page, live_server):
    base = live_server.url
    seed_return_reasons()  # a transactional test may have flushed the migration's rows
    candidate, cats, imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED, photos=2)
    category = cats[0]
    site_user = site_reviewer(candidate.site, first_name="考点审核员甲")
    province_user = province_reviewer(candidate.province, first_name="考区审核员乙")

    # 1. The site reviewer returns the first photo with a standard reason, approves the
    #    second, and returns the candidate.
    reviewer = _context(page, base)
    _login(reviewer, base, site_user)
    assert candidate.reg_no in reviewer.content()  # in the default queue
    _open(reviewer, base, candidate)
    # The photo's controls are in its panel beside it; the decisions post without a reload.
    first = reviewer.locator(f"#panel-{imgs[0].pk}")
    first.locator("select[name=reason]").select_option(label="图片不清晰")
    first.locator("input[name=text]").fill("请在光线充足处重拍")
    first.get_by_role("button", name=re.compile("退回此图")).click()
    reviewer.locator(f"#photo-{imgs[0].pk} .returned").wait_for(state="attached")
    reviewer.locator(f"#panel-{imgs[1].pk}").get_by_role("button", name=re.compile("^通过")).click()
    reviewer.locator(f"#photo-{imgs[1].pk} .ok").wait_for(state="attached")
    reviewer.locator(".decision-more summary", has_text="退回考生").click()
    reviewer.locator(".return-candidate").get_by_role("button", name="退回考生", exact=True).click()
    reviewer.wait_for_url(re.compile(rf"/review/c/{candidate.pk}/"))
    assert "已退回考生" in reviewer.content()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.RETURNED

    # 2. The candidate enters by a signed link, reads the reason, replaces the photo and
    #    resubmits.
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    assert "审核意见" in page.content()
    assert "图片不清晰：请在光线充足处重拍" in page.content()
    page.locator(f"#file-{category.pk}").set_input_files(
        files=[{"name": "new.jpg", "mimeType": "image/jpeg", "buffer": make_jpeg(800, 600)}]
    )
    page.wait_for_function(
        "() => !document.querySelector('.photo-returned')"
        " && !document.querySelector('[data-processing]')"
    )
    page.get_by_role("button", name="重新提交").first.click()
    page.locator("#confirm-submit").get_by_role("button", name="确认重新提交").click()
    page.locator("#status-panel .status-submitted").wait_for()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED
    new = MaterialImage.objects.get(candidate=candidate, removed_at__isnull=True, replaces=imgs[0])

    # 3. The site reviewer sees the replacement beside the old version, approves it, passes.
    _open(reviewer, base, candidate)
    assert "替换前的旧版本" in reviewer.content()
    reviewer.locator(f"#panel-{new.pk}").get_by_role("button", name=re.compile("^通过")).click()
    reviewer.locator(f"#photo-{new.pk} .ok").wait_for(state="attached")
    reviewer.get_by_role("button", name="考点通过", exact=True).click()
    reviewer.wait_for_url(re.compile(rf"/review/c/{candidate.pk}/"))
    assert "已考点通过" in reviewer.content()

    # 4. The province reviewer approves.
    province = _context(page, base)
    _login(province, base, province_user)
    assert candidate.reg_no in province.content()
    _open(province, base, candidate)
    province.get_by_role("button", name="审核通过", exact=True).click()
    province.wait_for_url(re.compile(rf"/review/c/{candidate.pk}/"))
    assert "已审核通过" in province.content()

    # 5. The candidate sees the result; two SMS: the return and the result.
    page.goto("/materials/")
    assert page.locator("#status-panel .status").inner_text() == "审核通过"
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.APPROVED
    assert list(
        Notification.objects.filter(candidate=candidate)
        .order_by("created_at", "id")
        .values_list("purpose", flat=True)
    ) == ["return", "result"]
    assert (
        MaterialImage.objects.filter(
            candidate=candidate, removed_at__isnull=True, status=ImageStatus.APPROVED
        ).count()
        == 2
    )
    reviewer.context.close()
    province.context.close()


def test_browser_shortcuts_zoom_rotate_no_csp_errors(page, live_server):
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED, photos=2)
    user = site_reviewer(candidate.site)
    desk = _context(page, base)
    problems = []
    desk.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    _login(desk, base, user)
    _open(desk, base, candidate)
    img = desk.locator(f"#photo-{imgs[0].pk} .photo-img")
    desk.locator(f"#photo-{imgs[0].pk}").get_by_role("button", name="向右旋转").click()
    assert img.get_attribute("data-rot") == "90"
    desk.locator(f"#photo-{imgs[0].pk}").get_by_role("button", name="放大").click()
    assert float(img.get_attribute("data-zoom")) > 1
    # The first photo to decide is shown with the focus: A approves it (in the background)
    # and shows the next one, which A approves too.
    desk.keyboard.press("Escape")
    assert desk.evaluate("document.activeElement.id") == f"photo-{imgs[0].pk}"
    desk.keyboard.press("a")
    desk.wait_for_function(f"() => document.activeElement.id === 'photo-{imgs[1].pk}'")
    desk.locator(f"#photo-{imgs[0].pk} .ok").wait_for(state="attached")
    desk.keyboard.press("a")
    desk.locator(f"#photo-{imgs[1].pk} .ok").wait_for(state="attached")
    assert MaterialImage.objects.filter(status=ImageStatus.APPROVED).count() == 2
    desk.keyboard.press("d")
    desk.wait_for_function("document.activeElement.textContent.trim() === '考点通过'")
    assert not [p for p in problems if "Content Security Policy" in p], problems
    desk.context.close()
