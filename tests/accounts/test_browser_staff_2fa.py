"""A reviewer's first log-in in Chromium: the password, the enrolment page with its QR code
drawn inline, the code from the authenticator, the recovery codes once, then the workbench.
The admin's log-in asks for the code too."""

import re

import pytest
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.staff_views import RECOVERY_CODES_KEY
from tests.factories.accounts import PASSWORD, ProvinceFactory, TestSiteFactory, operator
from tests.factories.accounts import site_reviewer as make_site_reviewer
from tests.staff import StaffClient, authenticator, totp_code

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


@pytest.mark.parametrize("width,height", [(360, 740), (390, 844), (1366, 768)])
def test_recovery_codes_stand_in_two_aligned_columns_of_monospace(page, live_server, width, height):
    # Codes copied by hand: each column's codes start at one left edge, the two columns'
    # rows at one height (CSS columns had the second 4 px higher), every character as wide
    # as the next.
    user = make_site_reviewer(TestSiteFactory())
    client = StaffClient()
    client.force_login(user)
    session = client.session
    given = [StaticToken.random_token() for _ in range(10)]
    session[RECOVERY_CODES_KEY] = given
    session.save()
    context = page.context.browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, locale="zh-CN"
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    shown = context.new_page()
    shown.goto("/staff/2fa/recovery-codes/?next=/review/")
    codes = shown.evaluate(
        "Array.from(document.querySelectorAll('.recovery-codes code'), c => {"
        " const r = c.getBoundingClientRect();"
        " return [c.textContent, r.left, r.top, r.right, getComputedStyle(c).fontFamily]; })"
    )
    assert [c[0] for c in codes] == given
    lefts = sorted({round(c[1], 1) for c in codes})
    tops = sorted({round(c[2], 1) for c in codes})
    assert len(lefts) == 2, codes  # two columns, each code at its column's left edge
    assert len(tops) == 5, codes  # five rows, both columns' codes at one height
    assert max(c[3] for c in codes if round(c[1], 1) == lefts[0]) < lefts[1], codes
    assert {len(c[0]) for c in codes} == {8}
    assert len({round(c[3] - c[1], 1) for c in codes}) == 1, codes  # monospace: equal widths
    assert all("monospace" in c[4] for c in codes), codes[0][4]
    assert shown.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
