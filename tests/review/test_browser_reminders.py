"""Each reminder once, as the operator sees it: after the periodic sweep has run (twice),
the SMS log in the admin lists exactly one 上传截止提醒 per candidate who has not submitted,
a roster candidate who never entered included, with the purpose 提醒."""

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.enums import CandidateStatus
from accounts.services.roster import roster_upsert
from tests.factories.accounts import (
    PASSWORD,
    CandidateFactory,
    ExamCategoryFactory,
    ProvinceFactory,
    TestSiteFactory,
    operator,
)
from tests.staff import authenticator, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_browser_operator_sees_one_reminder_per_candidate_in_the_sms_log(page):
    now = timezone.now()
    # The window closes in a day (within the 48 hours); the quiet hours are switched off
    # so that the sweep, which reads the real clock, sends at whatever hour the test runs.
    tianjin = ProvinceFactory(
        code="12",
        name="天津",
        closes_at=now + timedelta(hours=24),
        quiet_start=dt.time(0),
        quiet_end=dt.time(0),
    )
    site = TestSiteFactory(province=tianjin, code="1201")
    ExamCategoryFactory(code="110")
    started = CandidateFactory(site=site, reg_no="122600000001", phone="13900000001")
    CandidateFactory(site=site, reg_no="122600000003", status=CandidateStatus.SUBMITTED)
    roster_upsert(
        records=[
            {
                "reg_no": "122600000002",
                "year": started.exam_year.year,
                "name": "名单考生",
                "id_type": "id_card",
                "id_no": "120101199001010002",
                "province": "12",
                "site": "1201",
                "category": "110",
                "tags": [],
                "mobile": "13812345678",
            }
        ]
    )
    call_command("sweep")
    call_command("sweep")  # a second run (cron every minute) adds nothing

    user = operator(tianjin)
    device = authenticator(user)  # enrolled already
    page.goto("/admin/login/?next=/admin/notifications/notification/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/2fa/"))
    page.locator("#id_token").fill(totp_code(device))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url(re.compile(r"/admin/notifications/notification/$"))

    page.get_by_role("link", name="上传截止提醒").click()
    page.wait_for_url(re.compile(r"kind__exact=window_reminder"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    texts = rows.all_inner_texts()
    assert sum("122600000001" in t for t in texts) == 1
    assert sum("122600000002 名单考生" in t for t in texts) == 1
    assert not any("122600000003" in t for t in texts)
    assert all("提醒" in t and "上传截止提醒" in t for t in texts)
    assert any("138****5678" in t for t in texts)
