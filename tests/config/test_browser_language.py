"""The language switch in Chromium, by keyboard: on the candidate's material page and on
the reviewer's workbench the page comes back in English and stays English from page to
page; a browser that asks for English (Accept-Language) still opens in Chinese."""

import pytest

from accounts.models import Candidate
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import PASSWORD, CandidateFactory, site_reviewer
from tests.staff import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _english_browser(page, base):
    """A desk whose browser asks for English pages (en-US), as most set up in English do."""
    ctx = page.context.browser.new_context(
        base_url=base, viewport={"width": 1280, "height": 800}, locale="en-US"
    )
    ctx.set_default_timeout(15_000)
    return ctx.new_page()


def _switch_by_keyboard(pg):
    """Tab from the top of the page to the language button, then Enter."""
    pg.locator("body").focus()
    for _ in range(40):
        pg.keyboard.press("Tab")
        if pg.evaluate("document.activeElement.classList.contains('language-choice')"):
            break
    else:
        raise AssertionError("the language switch cannot be reached with Tab")
    assert pg.evaluate("document.activeElement.textContent.trim()") == "English"
    with pg.expect_navigation():
        pg.keyboard.press("Enter")


def test_a_candidate_switches_the_material_page_to_english_by_keyboard(page, live_server):
    candidate = CandidateFactory()
    pg = _english_browser(page, live_server.url)
    pg.goto(candidate_entry_url(candidate))
    assert pg.url.endswith("/materials/")
    assert pg.locator("html").get_attribute("lang") == "zh-hans"
    assert pg.locator("h1").first.inner_text() == "报名材料上传"

    _switch_by_keyboard(pg)
    assert pg.url.endswith("/materials/")
    assert pg.locator("html").get_attribute("lang") == "en"
    assert pg.locator("h1").first.inner_text() == "Registration materials"
    assert pg.get_by_role("button", name="简体中文").is_visible()

    pg.goto("/materials/help/")
    assert pg.locator("html").get_attribute("lang") == "en"
    pg.reload()
    assert pg.locator("html").get_attribute("lang") == "en"
    assert Candidate.objects.get(pk=candidate.pk).language == "en"

    with pg.expect_navigation():
        pg.get_by_role("button", name="简体中文").click()
    assert pg.locator("html").get_attribute("lang") == "zh-hans"
    assert Candidate.objects.get(pk=candidate.pk).language == "zh-hans"
    pg.context.close()


def test_a_reviewer_switches_the_workbench_to_english_by_keyboard(page, live_server):
    candidate = CandidateFactory()
    pg = _english_browser(page, live_server.url)
    browser_login(pg, site_reviewer(candidate.site), password=PASSWORD, base=live_server.url)
    pg.goto("/review/")
    assert pg.locator("html").get_attribute("lang") == "zh-hans"

    _switch_by_keyboard(pg)
    assert pg.url.endswith("/review/")
    assert pg.locator("html").get_attribute("lang") == "en"
    assert pg.get_by_role("link", name="Statistics").is_visible()

    pg.get_by_role("link", name="Statistics").click()
    pg.wait_for_url("**/review/dashboard/")
    assert pg.locator("html").get_attribute("lang") == "en"
    assert pg.locator("h1").first.inner_text() == "Review statistics"
    pg.context.close()
