"""On a phone (390×844), a form the server refused opens on the field to correct: focused and
in sight, with its error."""

import re

import pytest
from django.utils import timezone

from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _focused_id(page) -> str:
    return page.evaluate("() => document.activeElement.id")


def _in_sight(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def test_browser_refused_phone_number_is_focused(page):
    now = timezone.now()
    candidate = CandidateFactory(activated=False, registration_confirmed_at=now, consent_at=now)
    page.goto(candidate_entry_url(candidate))
    page.wait_for_url(re.compile(r"/activate/phone/$"))
    page.locator("#id_phone").fill("1381234")
    page.get_by_role("button", name="获取验证码").click()
    page.locator("#id_phone_error").wait_for()
    assert _focused_id(page) == "id_phone"
    assert _in_sight(page, "#id_phone_error")


def test_browser_wrong_sms_code_is_focused(page, sms_outbox):
    now = timezone.now()
    candidate = CandidateFactory(activated=False, registration_confirmed_at=now, consent_at=now)
    page.goto(candidate_entry_url(candidate))
    page.locator("#id_phone").fill("13812345678")
    page.get_by_role("button", name="获取验证码").click()
    page.locator("#id_code").wait_for()
    code = re.search(r"\d{6}", sms_outbox[-1].text).group(0)
    page.locator("#id_code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="验证", exact=True).click()
    page.locator("#id_code_error").wait_for()
    assert _focused_id(page) == "id_code"
    assert _in_sight(page, "#id_code_error")


def test_browser_profile_empty_address_scrolls_to_the_focused_field(page):
    candidate = CandidateFactory()
    page.goto(candidate_entry_url(candidate))
    page.goto("/profile/")
    page.locator("#id_address").fill("")
    page.get_by_role("button", name="保存联系地址").click()
    page.wait_for_url(re.compile(r"/profile/address/$"))
    page.locator("#id_address_error").wait_for()
    # The field stands far below a phone's screen; the page opens on it, error in sight.
    assert _focused_id(page) == "id_address"
    assert page.evaluate("() => window.scrollY") > 0
    assert _in_sight(page, "#id_address_error")
    assert _in_sight(page, "#id_address")
