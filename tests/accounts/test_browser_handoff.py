"""Continue on the phone, in Chromium: a desktop and a phone, two browser contexts."""

import re

import pytest

from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desktop_and_phone(_playwright_browser, live_server):
    contexts = [
        _playwright_browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url)
        for viewport in ({"width": 1366, "height": 768}, {"width": 390, "height": 844})
    ]
    for context in contexts:
        context.set_default_timeout(15_000)
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


def test_browser_qr_handoff_desktop_to_phone(desktop_and_phone, _playwright_browser, live_server):
    desktop, phone = desktop_and_phone
    candidate = CandidateFactory(name="李华")
    MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    desktop.goto(candidate_entry_url(candidate))
    desktop.wait_for_url(re.compile(r"/materials/$"))

    desktop.get_by_role("button", name="生成二维码").click()
    code = desktop.locator("[data-handoff-url]")
    code.locator("svg").wait_for()
    url = code.get_attribute("data-handoff-url")
    assert desktop.locator("[data-handoff-link]").inner_text() == url
    assert desktop.url.endswith("/materials/")  # the code came into the page
    status = desktop.locator("[data-handoff-status]")
    assert "10 分钟内有效" in status.inner_text()

    phone.goto(url)
    phone.wait_for_url(re.compile(r"/materials/$"))
    assert "已在本机登录" in phone.locator(".messages").inner_text()
    assert "李华" in phone.locator("#personal-title + dl").inner_text()

    # The desktop's poll learns it without a reload.
    desktop.wait_for_selector('[data-handoff-status][data-state="used"]')
    assert "已在手机上打开" in status.inner_text()
    # The used code is no longer shown beside 「已使用」, nor its link; a new one can be made.
    assert not code.locator("svg").is_visible()
    assert not desktop.locator("[data-handoff-link]").is_visible()
    assert desktop.get_by_role("button", name="重新生成二维码").is_visible()

    # The phone reloads the link: it is that candidate already, so it stays on the page.
    phone.goto(url)
    phone.wait_for_url(re.compile(r"/materials/$"))
    assert "李华" in phone.locator("#personal-title + dl").inner_text()

    # A second phone with the same link: refused, with the next step.
    second = _playwright_browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url
    )
    try:
        other_phone = second.new_page()
        response = other_phone.goto(url)
        assert response.status == 410
        assert other_phone.locator("h1").inner_text() == "此二维码链接已经使用过。"
        assert "上传相关材料" in other_phone.locator("[role=alert]").inner_text()
        other_phone.goto("/materials/")
        assert other_phone.url.endswith("/entry/needed/")
    finally:
        second.close()
