import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from accounts.enums import StaffRole
from accounts.models import StaffProfile
from notifications.models import Notification
from tests.factories.accounts import (
    PASSWORD,
    CandidateFactory,
    ProvinceFactory,
    TestSiteFactory,
    national_admin,
    operator,
    province_reviewer,
    site_reviewer,
)
from tests.factories.notifications import NotificationFactory
from tests.staff import login_with_code

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def world():
    tianjin = ProvinceFactory(code="12", name="天津")
    shandong = ProvinceFactory(code="37", name="山东")
    heping = TestSiteFactory(province=tianjin, code="1201", name="和平区")
    jinan = TestSiteFactory(province=shandong, code="3701", name="济南")
    return {
        "tianjin": tianjin,
        "shandong": shandong,
        "heping": heping,
        "jinan": jinan,
        "tj_candidate": CandidateFactory(site=heping, name="天津考生"),
        "sd_candidate": CandidateFactory(site=jinan, name="山东考生"),
        "tj_operator": operator(tianjin, username="operator12"),
        "sd_operator": operator(shandong, username="operator37"),
        "sd_reviewer": site_reviewer(jinan, username="site3701"),
        "tj_reviewer": province_reviewer(tianjin, username="province12"),
    }


@pytest.fixture
def tj_client(client, world):
    client.force_login(world["tj_operator"])
    return client


def test_admin_operator_candidate_list_own_province_only(tj_client, world):
    response = tj_client.get("/admin/accounts/candidate/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "天津考生" in body
    assert "山东考生" not in body
    # The site filter does not leak the other province's sites.
    assert "济南" not in body


def test_admin_operator_candidate_change_page_other_province_404(tj_client, world):
    url = f"/admin/accounts/candidate/{world['sd_candidate'].pk}/change/"
    assert tj_client.get(url).status_code == 404
    assert tj_client.post(url, {}).status_code == 404


@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_admin_operator_pages_of_a_row_outside_the_province_are_404(tj_client, world, page):
    url = f"/admin/accounts/candidate/{world['sd_candidate'].pk}/{page}/"
    assert tj_client.get(url).status_code == 404
    assert tj_client.get("/admin/accounts/candidate/999999999/change/").status_code == 404
    assert tj_client.get("/admin/accounts/candidate/not-a-number/change/").status_code == 404


def test_admin_candidate_change_page_shows_id_masked(tj_client, world):
    candidate = world["tj_candidate"]
    body = tj_client.get(f"/admin/accounts/candidate/{candidate.pk}/change/").content.decode()
    assert candidate.masked_id_no in body
    assert candidate.id_no not in body
    assert 'name="id_no"' not in body


def test_admin_candidate_list_queries_bounded(tj_client, world, django_assert_max_num_queries):
    for _ in range(20):
        CandidateFactory(site=world["heping"])
    with django_assert_max_num_queries(15):
        assert tj_client.get("/admin/accounts/candidate/").status_code == 200


def test_admin_operator_sites_and_province_scoped(tj_client, world):
    body = tj_client.get("/admin/accounts/testsite/").content.decode()
    assert "和平区" in body and "济南" not in body
    assert tj_client.get(f"/admin/accounts/testsite/{world['jinan'].pk}/change/").status_code == 404
    assert (
        tj_client.get(f"/admin/accounts/province/{world['shandong'].pk}/change/").status_code == 404
    )
    own = tj_client.get(f"/admin/accounts/province/{world['tianjin'].pk}/change/")
    assert own.status_code == 200
    assert tj_client.get("/admin/accounts/province/add/").status_code == 403


def test_admin_operator_cannot_create_site_in_other_province(tj_client, world):
    response = tj_client.post(
        "/admin/accounts/testsite/add/",
        {"province": world["shandong"].pk, "code": "3799", "name": "偷建考点"},
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not world["shandong"].sites.filter(code="3799").exists()


def test_admin_operator_exam_categories_read_only(tj_client):
    assert tj_client.get("/admin/accounts/examcategory/").status_code == 200
    assert tj_client.get("/admin/accounts/examcategory/add/").status_code == 403


def test_admin_operator_staff_accounts_own_province_reviewers_only(tj_client, world):
    body = tj_client.get("/admin/accounts/staffaccount/").content.decode()
    assert ">province12</a>" in body
    assert "site3701" not in body
    assert "operator37" not in body
    assert ">operator12</a>" not in body  # not even their own operator account
    url = f"/admin/accounts/staffaccount/{world['sd_reviewer'].pk}/change/"
    assert tj_client.get(url).status_code == 404


def _account_post(**overrides):
    data = {
        "username": "newreviewer",
        "first_name": "新审核员",
        "role": StaffRole.SITE_REVIEWER,
        "province": "",
        "site": "",
        "new_password": "a-long-pass-2026!",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_admin_operator_creates_site_reviewer_in_own_province(tj_client, world):
    response = tj_client.post(
        "/admin/accounts/staffaccount/add/", _account_post(site=world["heping"].pk)
    )
    assert response.status_code == 302
    user = User.objects.get(username="newreviewer")
    assert (user.staff_profile.role, user.staff_profile.site, user.staff_profile.province) == (
        StaffRole.SITE_REVIEWER,
        world["heping"],
        world["tianjin"],
    )
    assert not user.is_staff and not user.is_superuser
    assert user.check_password("a-long-pass-2026!")


@pytest.mark.parametrize(
    "overrides",
    [
        {"role": StaffRole.NATIONAL},
        {"role": StaffRole.OPERATOR, "province": "TJ"},
        {"role": StaffRole.PROVINCE_REVIEWER, "province": "SD"},
        {"role": StaffRole.SITE_REVIEWER, "site": "JINAN"},
    ],
)
def test_admin_operator_cannot_escalate(tj_client, world, overrides):
    ids = {"TJ": world["tianjin"].pk, "SD": world["shandong"].pk, "JINAN": world["jinan"].pk}
    data = _account_post(**{k: ids.get(v, v) for k, v in overrides.items()})
    response = tj_client.post("/admin/accounts/staffaccount/add/", data)
    assert response.status_code == 200  # form error
    assert not User.objects.filter(username="newreviewer").exists()


def test_admin_operator_cannot_move_reviewer_to_other_province(tj_client, world):
    reviewer = world["tj_reviewer"]
    response = tj_client.post(
        f"/admin/accounts/staffaccount/{reviewer.pk}/change/",
        _account_post(
            username=reviewer.username,
            role=StaffRole.PROVINCE_REVIEWER,
            province=world["shandong"].pk,
            new_password="",
        ),
    )
    assert response.status_code == 200
    reviewer.refresh_from_db()
    assert reviewer.staff_profile.province == world["tianjin"]


def test_admin_scope_validation(client, world):
    client.force_login(national_admin(username="nat"))
    # A site reviewer without a site.
    response = client.post("/admin/accounts/staffaccount/add/", _account_post())
    assert "考点审核员必须指定考点。" in response.content.decode()
    # A province reviewer without a province.
    response = client.post(
        "/admin/accounts/staffaccount/add/", _account_post(role=StaffRole.PROVINCE_REVIEWER)
    )
    assert "必须指定考区" in response.content.decode()
    # A site outside the chosen province.
    response = client.post(
        "/admin/accounts/staffaccount/add/",
        _account_post(province=world["tianjin"].pk, site=world["jinan"].pk),
    )
    assert "考点不属于所选考区。" in response.content.decode()
    assert not User.objects.filter(username="newreviewer").exists()


def test_admin_national_creates_operator(client, world):
    client.force_login(national_admin(username="nat"))
    response = client.post(
        "/admin/accounts/staffaccount/add/",
        _account_post(role=StaffRole.OPERATOR, province=world["shandong"].pk),
    )
    assert response.status_code == 302
    user = User.objects.get(username="newreviewer")
    assert user.is_staff
    assert StaffProfile.objects.get(user=user).province == world["shandong"]


def test_admin_reviewer_cannot_enter_admin(client, world):
    client.force_login(world["sd_reviewer"])
    assert client.get("/admin/accounts/candidate/").status_code == 302  # to the admin log-in


def test_admin_operator_cannot_reach_staffprofile_table(tj_client):
    assert tj_client.get("/admin/accounts/staffprofile/").status_code == 403


def test_admin_notifications_scoped_and_code_hidden(tj_client, world):
    NotificationFactory(candidate=world["tj_candidate"], text="天津短信")
    other = NotificationFactory(candidate=world["sd_candidate"], text="山东短信")
    code = NotificationFactory(
        candidate=world["tj_candidate"], purpose="code", text="验证码 987650"
    )
    body = tj_client.get("/admin/notifications/notification/").content.decode()
    assert "139****5678" in body
    assert tj_client.get(f"/admin/notifications/notification/{other.pk}/change/").status_code == 404
    page = tj_client.get(f"/admin/notifications/notification/{code.pk}/change/").content.decode()
    assert "987650" not in page
    assert Notification.objects.count() == 3


def test_admin_operator_login_with_password(client, world):
    page = login_with_code(
        client,
        User.objects.get(username="operator12"),
        password=PASSWORD,
        login_url="/admin/login/?next=/admin/",
    )
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == "/admin/"


def test_admin_operator_province_reviewer_gets_own_province(tj_client, world):
    response = tj_client.post(
        "/admin/accounts/staffaccount/add/", _account_post(role=StaffRole.PROVINCE_REVIEWER)
    )
    assert response.status_code == 302
    profile = User.objects.get(username="newreviewer").staff_profile
    assert (profile.role, profile.province, profile.site) == (
        StaffRole.PROVINCE_REVIEWER,
        world["tianjin"],
        None,
    )


def _province_post(province, **changes):
    data = {
        "code": province.code,
        "name": province.name,
        "entry_enabled": "on",
        "opens_at_0": "2026-11-01",
        "opens_at_1": "08:00:00",
        "closes_at_0": "2026-12-31",
        "closes_at_1": "23:59:59",
        "submit_mode": province.submit_mode,
        "reply_hours": province.reply_hours,
        "resubmit_to_returning_level": "on",
        "sms_return_text": province.sms_return_text,
        "sms_approved_text": province.sms_approved_text,
        "sms_rejected_text": province.sms_rejected_text,
        "sms_reminder_text": province.sms_reminder_text,
        "watermark_text": province.watermark_text,
        "window_reminder_hours": province.window_reminder_hours,
        "sms_window_reminder_text": province.sms_window_reminder_text,
        "quiet_start": province.quiet_start.strftime("%H:%M"),
        "quiet_end": province.quiet_end.strftime("%H:%M"),
    }
    data.update(changes)
    return data


def test_admin_operator_sets_the_reminder_and_the_quiet_hours(tj_client, world):
    tianjin = world["tianjin"]
    url = f"/admin/accounts/province/{tianjin.pk}/change/"
    page = tj_client.get(url).content.decode()
    assert "上传截止前提醒（小时）" in page and "免打扰开始时间" in page

    response = tj_client.post(
        url,
        _province_post(
            tianjin,
            window_reminder_hours="24",
            quiet_start="21:30",
            quiet_end="07:00",
            sms_window_reminder_text="请于{deadline}前完成上传。",
        ),
    )

    assert response.status_code == 302
    tianjin.refresh_from_db()
    assert (tianjin.window_reminder_hours, tianjin.quiet_start, tianjin.quiet_end) == (
        24,
        dt.time(21, 30),
        dt.time(7, 0),
    )
    assert tianjin.sms_window_reminder_text == "请于{deadline}前完成上传。"


def test_admin_refuses_a_reminder_lead_time_beyond_30_days(tj_client, world):
    tianjin = world["tianjin"]
    url = f"/admin/accounts/province/{tianjin.pk}/change/"
    response = tj_client.post(url, _province_post(tianjin, window_reminder_hours="721"))
    assert response.status_code == 200
    assert "确保该值小于或等于720" in response.content.decode()
    tianjin.refresh_from_db()
    assert tianjin.window_reminder_hours == 48


def test_admin_province_watermark_with_glyph_the_font_lacks_refused(tj_client, world):
    tianjin = world["tianjin"]
    url = f"/admin/accounts/province/{tianjin.pk}/change/"

    response = tj_client.post(
        url, _province_post(tianjin, watermark_text="仅供审核使用 𠀀 {reg_no}")
    )

    assert response.status_code == 200
    assert "水印字体没有这些字" in response.content.decode()
    tianjin.refresh_from_db()
    assert tianjin.watermark_text != "仅供审核使用 𠀀 {reg_no}"


def test_admin_province_watermark_in_common_characters_saved(tj_client, world):
    tianjin = world["tianjin"]
    url = f"/admin/accounts/province/{tianjin.pk}/change/"

    response = tj_client.post(
        url, _province_post(tianjin, watermark_text="天津考区审核专用 {reg_no}")
    )

    assert response.status_code == 302
    tianjin.refresh_from_db()
    assert tianjin.watermark_text == "天津考区审核专用 {reg_no}"


def test_admin_candidate_export_action_streams_selected_rows_in_scope(tj_client, world):
    response = tj_client.post(
        "/admin/accounts/candidate/",
        {
            "action": "export_results_action",
            "_selected_action": [world["tj_candidate"].pk, world["sd_candidate"].pk],
        },
    )

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "天津考生" in body
    assert "山东考生" not in body  # outside the operator's province, even when posted
