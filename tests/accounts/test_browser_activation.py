"""From the demo registration system through activation to the material page, in Chromium."""

import re

import pytest

from tests.factories.accounts import CandidateFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_browser_demo_registration_to_material_page(page):
    candidate = CandidateFactory(activated=False, name="王小明")
    page.goto("/demo/registration/")
    page.locator(f'button[data-reg-no="{candidate.reg_no}"]').click()

    page.wait_for_url(re.compile(r"/activate/confirm/$"))
    assert "第 1 步，共 4 步" in page.content()
    assert candidate.masked_id_no in page.content()
    page.get_by_role("button", name="信息无误，下一步").click()

    page.wait_for_url(re.compile(r"/activate/consent/$"))
    page.get_by_role("button", name="同意，下一步").click()
    # Not ticked: refused on the server, the step stays.
    page.wait_for_url(re.compile(r"/activate/consent/$"))
    page.locator("#id_agree").check()
    page.get_by_role("button", name="同意，下一步").click()

    page.wait_for_url(re.compile(r"/activate/phone/$"))
    page.locator("#id_phone").fill("13812345678")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/activate/phone/$"))
    code = page.locator("#demo-sms-code").inner_text()
    assert re.fullmatch(r"\d{6}", code)
    # The resend button counts down.
    assert page.locator("#send-code").is_disabled()
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="验证", exact=True).click()

    page.wait_for_url(re.compile(r"/activate/address/$"))
    page.locator("#id_address").fill("山东省济南市历下区经十路1号")
    response_holder = {}
    page.on(
        "response",
        lambda r: (
            response_holder.setdefault("status", r.status)
            if r.url.endswith("/materials/")
            else None
        ),
    )
    page.get_by_role("button", name="提交，完成激活").click()
    page.wait_for_url(re.compile(r"/materials/$"))
    assert response_holder.get("status") == 200
    candidate.refresh_from_db()
    assert candidate.is_activated
    assert candidate.phone == "13812345678"
