"""Reviewer accounts in bulk through the admin: the report first (each bad row named with its
reasons), nothing written until the operator confirms, then the accounts with a one-time
link by SMS that sets the password and leads to the second factor. Bulk deactivation."""

import io
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from openpyxl import Workbook

from accounts.admin_imports import STAFF_IMPORT_SALT
from accounts.enums import StaffRole
from accounts.models import StaffInvite, StaffProfile
from accounts.services import staff_accounts_deactivate, staff_import_check
from notifications.enums import NotificationPurpose
from notifications.models import Notification
from tests.factories.accounts import (
    ProvinceFactory,
    TestSiteFactory,
    operator,
    site_reviewer,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
IMPORT_URL = "/admin/accounts/staffaccount/import/"
HEADER = ["考点代码", "姓名", "手机号码", "用户名", "角色"]
KEYS = ["site", "name", "mobile", "username", "role"]


@pytest.fixture
def world(sms_outbox):
    tianjin = ProvinceFactory(code="12", name="天津")
    hebei = ProvinceFactory(code="13", name="河北")
    heping = TestSiteFactory(province=tianjin, code="1201", name="和平区")
    hexi = TestSiteFactory(province=tianjin, code="1202", name="河西区")
    shijiazhuang = TestSiteFactory(province=hebei, code="1301", name="石家庄")
    taken = site_reviewer(heping, username="taken01")
    StaffProfile.objects.filter(user=taken).update(mobile="13800000000")
    return {
        "tianjin": tianjin,
        "hebei": hebei,
        "heping": heping,
        "hexi": hexi,
        "shijiazhuang": shijiazhuang,
        "operator": operator(tianjin, username="operator12"),
        "hb_operator": operator(hebei, username="operator13"),
        "taken": taken,
        "outbox": sms_outbox,
    }


def good_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        if i % 10 == 9:
            rows.append(["", f"考区审核员{i}", f"1390000{i:04d}", f"tjp{i:03d}", "考区审核员"])
        else:
            site = "1201" if i % 2 else "1202"
            rows.append([site, f"审核员{i}", f"1390000{i:04d}", f"tj{i:03d}", "考点审核员"])
    return rows


def xlsx(rows: list[list], name: str = "staff.xlsx") -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def csv_file(
    rows: list[list], *, encoding: str = "utf-8-sig", name: str = "staff.csv", delimiter=","
):
    text = "\n".join(delimiter.join(r) for r in [HEADER, *rows]) + "\n"
    buffer = io.BytesIO(text.encode(encoding))
    buffer.name = name
    return buffer


def upload(client, world, file, *, province=None):
    province = province or world["tianjin"]
    return client.post(IMPORT_URL, {"province": province.pk, "file": file})


def payload_of(response) -> str:
    match = re.search(r'name="payload" value="([^"]+)"', response.content.decode())
    assert match, "no confirmation form on the page"
    return match.group(1)


def test_staff_file_of_200_with_5_bad_rows_imports_the_195_after_naming_the_5(
    client, world, django_capture_on_commit_callbacks
):
    rows = good_rows(200)
    # The sheet's row numbers: the header is row 1, so rows[i] is row i + 2.
    rows[10] = ["9999", "未知考点", "13911110010", "bad010", "考点审核员"]
    rows[40] = ["1301", "外省考点", "13911110040", "bad040", "考点审核员"]
    rows[80] = ["1201", "重名", "13911110080", "taken01", "考点审核员"]
    rows[120] = ["1201", "错号码", "1234567", "bad120", "考点审核员"]
    rows[160] = ["1201", "错角色", "13911110160", "bad160", "考区管理员"]
    client.force_login(world["operator"])
    users_before = User.objects.count()

    response = upload(client, world, xlsx(rows))

    assert response.status_code == 200
    problems = response.context["report"].problems
    assert [(p.number, p.username) for p in problems] == [
        (12, "bad010"),
        (42, "bad040"),
        (82, "taken01"),
        (122, "bad120"),
        (162, "bad160"),
    ]
    page = response.content.decode()
    assert "第 12 行" in page and "考点代码 9999 不存在" in page
    assert "第 42 行" in page and "考点 1301 属于其他考区（河北）" in page
    assert "第 82 行" in page and "用户名“taken01”已被使用" in page
    assert "第 122 行" in page and "手机号码“1234567”格式不正确" in page
    assert "第 162 行" in page and "角色“考区管理员”无效" in page
    assert "共 200 行（天津）：195 行可以导入，5 行有问题。" in page
    assert User.objects.count() == users_before  # nothing written before the confirmation
    assert not Notification.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT_URL, {"payload": payload_of(response)})

    assert response.status_code == 302
    assert User.objects.count() == users_before + 195
    imported = StaffProfile.objects.filter(user__username__regex=r"^tjp?\d{3}$")
    assert imported.count() == 195
    assert set(imported.values_list("province__code", flat=True)) == {"12"}
    assert imported.filter(role=StaffRole.PROVINCE_REVIEWER, site__isnull=True).count() == 20
    assert imported.get(user__username="tj001").site == world["heping"]
    assert imported.get(user__username="tj001").mobile == "13900000001"
    assert not any(u.has_usable_password() for u in User.objects.filter(username__startswith="tj"))
    sms = Notification.objects.filter(purpose=NotificationPurpose.STAFF_INVITE)
    assert sms.count() == 195
    assert len(world["outbox"]) == 195
    assert not User.objects.filter(username__startswith="bad").exists()


def test_import_report_names_every_reason_of_a_row(client, world):
    rows = [
        ["1201", "", "12345", "a b", "管理员"],
        ["", "王五", "13900000001", "ok1", "考点审核员"],
        ["1201", "赵六", "13900000002", "ok2", "考区审核员"],
    ]
    client.force_login(world["operator"])
    report = upload(client, world, xlsx(rows)).context["report"]
    first, second, third = report.problems
    assert first.number == 2
    assert any("用户名“a b”无效" in r for r in first.reasons)
    assert "缺少姓名" in first.reasons
    assert any("手机号码“12345”格式不正确" in r for r in first.reasons)
    assert any("角色“管理员”无效" in r for r in first.reasons)
    assert second.reasons == ["考点审核员必须填写考点代码"]
    assert third.reasons == ["考区审核员不填考点代码"]
    assert report.accepted == []
    assert User.objects.filter(username__in=["ok1", "ok2"]).count() == 0


def test_import_names_both_rows_of_a_duplicate_in_the_file(client, world):
    rows = [
        ["1201", "甲", "13900000001", "same", "考点审核员"],
        ["1201", "乙", "13900000002", "SAME", "考点审核员"],
        ["1201", "丙", "13900000003", "c1", "考点审核员"],
        ["1201", "丁", "139-0000-0003", "c2", "考点审核员"],
        ["1201", "戊", "13800000000", "c3", "考点审核员"],
    ]
    client.force_login(world["operator"])
    report = upload(client, world, xlsx(rows)).context["report"]
    reasons = {p.number: p.reasons for p in report.problems}
    assert reasons[2] == ["用户名“same”在文件中重复"]
    assert reasons[3] == ["用户名“SAME”在文件中重复"]
    assert reasons[4] == ["手机号码 13900000003 在文件中重复"]
    assert reasons[5] == ["手机号码 13900000003 在文件中重复"]
    assert reasons[6] == ["手机号码 13800000000 已被其他账号使用"]


def test_import_reads_a_gb18030_csv_from_chinese_excel(client, world):
    client.force_login(world["operator"])
    rows = [["1201", "张三", "13900000001", "zhangsan", "考点审核员"]]
    response = upload(client, world, csv_file(rows, encoding="gb18030"))
    report = response.context["report"]
    assert [r["name"] for r in report.accepted] == ["张三"]
    client.post(IMPORT_URL, {"payload": payload_of(response)})
    assert User.objects.get(username="zhangsan").first_name == "张三"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_import_reads_a_csv_separated_by_semicolons_or_tabs(client, world, delimiter):
    """Excel where the decimal mark is a comma saves CSV with semicolons."""
    client.force_login(world["operator"])
    rows = [
        ["1201", "张三", "13900000001", "zhangsan", "考点审核员"],
        ["", "李四", "13900000002", "lisi", "考区审核员"],
    ]
    response = upload(client, world, csv_file(rows, delimiter=delimiter))
    assert "缺少列" not in response.content.decode()
    report = response.context["report"]
    assert [(r["name"], r["username"]) for r in report.accepted] == [
        ("张三", "zhangsan"),
        ("李四", "lisi"),
    ]


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (csv_file([], name="staff.txt"), "请上传 .xlsx 或 .csv 文件。"),
        (csv_file([]), "文件中没有数据行。"),
        (io.BytesIO(b"not a zip"), "无法读取该 XLSX 文件"),
    ],
    ids=["wrong-type", "no-rows", "broken-xlsx"],
)
def test_import_refuses_an_unreadable_file_with_a_message(client, world, file, message):
    if not hasattr(file, "name"):
        file.name = "staff.xlsx"
    client.force_login(world["operator"])
    response = upload(client, world, file)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "report" not in response.context


def test_import_refuses_a_sheet_missing_a_column(client, world):
    buffer = io.BytesIO("考点代码,姓名,用户名\n1201,张三,zs\n".encode())
    buffer.name = "staff.csv"
    client.force_login(world["operator"])
    response = upload(client, world, buffer)
    assert "第1行（表头）缺少列：手机号码、角色。" in response.content.decode()


def test_operator_cannot_import_into_another_province(client, world):
    client.force_login(world["operator"])
    rows = [["1301", "外省", "13900000001", "hb1", "考点审核员"]]
    response = upload(client, world, xlsx(rows), province=world["hebei"])
    assert "report" not in response.context
    assert response.context["form"].errors["province"]
    with pytest.raises(PermissionDenied):
        staff_import_check(
            rows=[{"number": 2, **dict(zip(KEYS, rows[0], strict=True))}],
            province=world["hebei"],
            by=world["operator"],
        )


def test_reviewer_cannot_open_the_import(client, world):
    client.force_login(site_reviewer(world["heping"], username="plain"))
    response = client.get(IMPORT_URL)
    assert response.status_code in (302, 403)
    assert not User.objects.filter(username="tj000").exists()


def test_confirmation_with_a_tampered_payload_writes_nothing(client, world):
    client.force_login(world["operator"])
    response = upload(client, world, xlsx(good_rows(3)))
    tampered = payload_of(response)[:-2] + "xx"
    response = client.post(IMPORT_URL, {"payload": tampered}, follow=True)
    assert "导入数据无效，请重新上传文件。" in response.content.decode()
    assert not User.objects.filter(username__startswith="tj").exists()


def test_confirmation_by_another_operator_is_refused(client, world):
    client.force_login(world["operator"])
    payload = payload_of(upload(client, world, xlsx(good_rows(3))))
    client.force_login(world["hb_operator"])
    response = client.post(IMPORT_URL, {"payload": payload})
    assert response.status_code == 403
    assert not User.objects.filter(username__startswith="tj").exists()


def test_confirmation_after_a_name_was_taken_meanwhile_writes_nothing(client, world):
    client.force_login(world["operator"])
    payload = payload_of(upload(client, world, xlsx(good_rows(3))))
    site_reviewer(world["heping"], username="tj001")
    response = client.post(IMPORT_URL, {"payload": payload})
    assert response.status_code == 200
    assert [p.username for p in response.context["report"].problems] == ["tj001"]
    assert not User.objects.filter(username__in=["tj000", "tj002"]).exists()
    assert not Notification.objects.exists()


def test_confirmation_expires_after_an_hour(client, world, monkeypatch):
    client.force_login(world["operator"])
    payload = payload_of(upload(client, world, xlsx(good_rows(3))))
    later = signing.loads  # the payload is checked with max_age: make it an hour old

    def loads(value, **kwargs):
        kwargs["max_age"] = -1
        return later(value, **kwargs)

    monkeypatch.setattr(signing, "loads", loads)
    response = client.post(IMPORT_URL, {"payload": payload}, follow=True)
    assert "确认已超时（1小时），请重新上传文件。" in response.content.decode()
    assert not User.objects.filter(username__startswith="tj").exists()


def test_payload_is_signed_json_not_pickle(client, world):
    client.force_login(world["operator"])
    payload = payload_of(upload(client, world, xlsx(good_rows(2))))
    data = signing.loads(payload, salt=STAFF_IMPORT_SALT)
    assert data["rows"][0]["username"] == "tj000"
    assert data["by"] == world["operator"].pk


# --- the one-time link ---------------------------------------------------------------------


def imported_link(client, world, username="tj001") -> str:
    client.force_login(world["operator"])
    client.post(IMPORT_URL, {"payload": payload_of(upload(client, world, xlsx(good_rows(3))))})
    client.logout()
    text = Notification.objects.get(
        purpose=NotificationPurpose.STAFF_INVITE, text__contains=username
    ).text
    return re.search(r"https?://\S+/staff/welcome/[\w-]+/", text).group(0)


def test_invite_sms_carries_a_link_and_no_password(client, world):
    link = imported_link(client, world)
    sms = Notification.objects.get(text__contains="tj001")
    assert sms.recipient == "13900000001"
    assert "tj001" in sms.text and "72小时" in sms.text
    assert "密码：" not in sms.text and "password" not in sms.text.lower()
    # For a provider that sends approved templates only: the kind, province and values.
    assert (sms.kind, sms.province_code) == ("staff_invite", "12")
    assert sms.params == {"name": "审核员1", "username": "tj001", "hours": "72", "link": link}
    assert StaffInvite.objects.get(user__username="tj001").token_hash not in link


def test_invite_link_sets_the_password_then_leads_to_the_second_factor(client, world):
    link = imported_link(client, world)
    page = client.get(link)
    assert page.status_code == 200
    assert "tj001" in page.content.decode()
    response = client.post(
        link, {"new_password1": "Review-Pass-2026!", "new_password2": "Review-Pass-2026!"}
    )
    assert response.status_code == 302
    assert response.url == "/staff/2fa/setup/"
    user = User.objects.get(username="tj001")
    assert user.check_password("Review-Pass-2026!")
    # Every other page sends the new account to enrol its authenticator first.
    assert client.get("/review/").url.startswith("/staff/2fa/setup/")
    assert client.get("/staff/2fa/setup/").status_code == 200


def test_invite_link_works_once(client, world):
    link = imported_link(client, world)
    data = {"new_password1": "Review-Pass-2026!", "new_password2": "Review-Pass-2026!"}
    client.post(link, data)
    client.logout()
    response = client.get(link)
    assert response.status_code == 410
    assert "该链接已使用过" in response.content.decode()
    response = client.post(
        link, {"new_password1": "Other-Pass-2027!", "new_password2": "Other-Pass-2027!"}
    )
    assert response.status_code == 410
    assert User.objects.get(username="tj001").check_password("Review-Pass-2026!")


def test_invite_link_expires(client, world):
    link = imported_link(client, world)
    StaffInvite.objects.update(expires_at=timezone.now())
    response = client.get(link)
    assert response.status_code == 410
    assert "链接已失效" in response.content.decode()


def test_unknown_invite_link_is_refused(client, world):
    response = client.get("/staff/welcome/not-a-real-token/")
    assert response.status_code == 410
    assert "链接无效" in response.content.decode()


def test_invite_link_refuses_a_weak_password_and_stays_usable(client, world):
    link = imported_link(client, world)
    response = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert StaffInvite.objects.get(user__username="tj001").used_at is None


def test_invite_link_names_every_password_problem_in_chinese(client, world):
    """Django 5.2's own Chinese catalogue lacks the new wording of the length rule: the
    project's locale/zh_Hans supplies it."""
    link = imported_link(client, world)
    response = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert response.context["form"].errors["new_password2"] == [
        "密码长度太短。密码必须包含至少 8 个字符。",
        "这个密码太常见了。",
    ]
    page = response.content.decode()
    assert "密码长度太短。密码必须包含至少 8 个字符。" in page
    assert "too short" not in page


def test_invite_link_names_every_password_problem_in_english(client, world):
    link = imported_link(client, world)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert response.context["form"].errors["new_password2"] == [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_password_rule_speaks_the_page_language(language):
    """Each validator of AUTH_PASSWORD_VALIDATORS, refusing: no English on a Chinese page."""
    user = User(username="reviewer2026", first_name="审核员")
    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            validate_password("123", user)
        with pytest.raises(ValidationError) as similar:
            validate_password("reviewer2026", user)
        messages = refused.value.messages + similar.value.messages
    assert len(messages) == 3
    latin = [m for m in messages if re.search("[A-Za-z]{3}", m)]
    assert latin == ([] if language == "zh-hans" else messages)


def test_resent_invite_replaces_the_older_link(client, world):
    link = imported_link(client, world)
    client.force_login(world["operator"])
    user = User.objects.get(username="tj001")
    client.post(
        "/admin/accounts/staffaccount/",
        {"action": "resend_invites", "_selected_action": [user.pk]},
    )
    client.logout()
    assert client.get(link).status_code == 410
    assert Notification.objects.filter(text__contains="tj001").count() == 2


# --- deactivation in bulk ------------------------------------------------------------------


def test_operator_deactivates_reviewers_in_bulk(client, world):
    reviewers = [site_reviewer(world["heping"], username=f"r{i}") for i in range(3)]
    client.force_login(world["operator"])
    response = client.post(
        "/admin/accounts/staffaccount/",
        {"action": "deactivate_accounts", "_selected_action": [u.pk for u in reviewers[:2]]},
        follow=True,
    )
    assert "已停用 2 个账号。" in response.content.decode()
    assert list(
        User.objects.filter(username__in=["r0", "r1", "r2"], is_active=True).values_list(
            "username", flat=True
        )
    ) == ["r2"]


def test_deactivation_refuses_another_provinces_reviewer_and_ones_own_account(world):
    far = site_reviewer(world["shijiazhuang"], username="far")
    with pytest.raises(PermissionDenied):
        staff_accounts_deactivate(users=[far], by=world["operator"])
    with pytest.raises(PermissionDenied):
        staff_accounts_deactivate(users=[world["operator"]], by=world["operator"])
    assert User.objects.get(username="far").is_active
    assert User.objects.get(username="operator12").is_active
