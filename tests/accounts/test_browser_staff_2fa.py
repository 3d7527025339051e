"""A reviewer's first log-in in Chromium: the password, the enrolment page with its QR code
drawn inline, the code from the authenticator, the recovery codes once, then the workbench.
The admin's log-in asks for the code too."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories.accounts import PASSWORD, ProvinceFactory, TestSiteFactory, operator
from tests.factories.accounts import site_reviewer as make_site_reviewer
from tests.staff import authenticator, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_browser_first_login_enrols_authenticator_and_shows_recovery_codes_once(page, live_server):
    user = make_site_reviewer(TestSiteFactory(), first_name="考点审核员甲")
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto("/review/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(re.compile(r"/staff/2fa/setup/"))
    qr = page.get_by_role("img", name="验证器二维码")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.evaluate("img => img.naturalWidth") > 0  # it draws
    # Nothing is fetched from elsewhere (the QR code is drawn on the server).
    assert all(url.startswith((live_server.url, "data:")) for url in fetched)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.locator("#id_token").fill(totp_code(device))
    page.get_by_role("button", name="完成绑定").click()

    page.wait_for_url(re.compile(r"/staff/2fa/recovery-codes/"))
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_url(re.compile(r"/review/$"))
    assert "考点审核员甲" in page.content()
    page.go_back()
    assert not any(code in page.content() for code in codes)


def test_browser_admin_login_asks_for_the_code(page):
    user = operator(ProvinceFactory())
    device = authenticator(user)
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/2fa/\?next="))
    page.locator("#id_token").fill(totp_code(device))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert "考区管理" in page.content()
