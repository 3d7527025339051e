"""Results exports (CSV and XLSX): who may download what, and what the files hold."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from accounts.auth import SESSION_KEY
from accounts.enums import CandidateStatus
from accounts.models import Candidate
from tests.factories.accounts import (
    CandidateFactory,
    ExamYearFactory,
    ProvinceFactory,
    TestSiteFactory,
    national_admin,
    operator,
    province_reviewer,
    site_reviewer,
)
from tests.factories.results import status_change

pytestmark = pytest.mark.django_db

CSV_URL = "/api/v1/exports/results.csv"
XLSX_URL = "/api/v1/exports/results.xlsx"
HEADER = ["报名号", "姓名", "报考类别", "考点", "状态", "状态时间", "退回/拒绝原因"]


@pytest.fixture
def world():
    """Province 37 with two sites, and province 13 with one; a candidate in each site."""
    p37 = ProvinceFactory(code="37", name="山东")
    p13 = ProvinceFactory(code="13", name="河北")
    jinan = TestSiteFactory(province=p37, code="3701", name="济南")
    qingdao = TestSiteFactory(province=p37, code="3702", name="青岛")
    shijiazhuang = TestSiteFactory(province=p13, code="1301", name="石家庄")
    return {
        "p37": p37,
        "p13": p13,
        "jinan": jinan,
        "qingdao": qingdao,
        "shijiazhuang": shijiazhuang,
        "a": CandidateFactory(site=jinan, reg_no="370100000001", name="张三"),
        "b": CandidateFactory(site=qingdao, reg_no="370200000001", name="李四"),
        "c": CandidateFactory(site=shijiazhuang, reg_no="130100000001", name="王五"),
    }


def download_csv(client, params=None):
    response = client.get(CSV_URL, params or {})
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content)
    return response, body


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def exported_reg_nos(client, params=None) -> list[str]:
    _response, body = download_csv(client, params)
    return [row[0] for row in csv_rows(body)[1:]]


def test_export_csv_has_bom_header_and_rows(client, world):
    status_change(world["a"], CandidateStatus.SUBMITTED)
    client.force_login(site_reviewer(world["jinan"]))

    response, body = download_csv(client)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="yishen-results-')
    assert body.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(body)
    assert rows[0] == HEADER
    [row] = rows[1:]
    assert row[:5] == ["370100000001", "张三", "110 临床执业医师", "3701 济南", "已提交"]
    assert len(row[5]) == len("2026-11-22 16:00:00")
    assert row[6] == ""


def test_export_site_reviewer_sees_only_their_site(client, world):
    client.force_login(site_reviewer(world["jinan"]))

    assert exported_reg_nos(client) == ["370100000001"]


def test_export_site_reviewer_of_another_site_sees_none_of_the_first(client, world):
    client.force_login(site_reviewer(world["qingdao"]))

    assert exported_reg_nos(client) == ["370200000001"]
    # Asking for the other site by its code gives nothing either.
    assert exported_reg_nos(client, {"site": "3701"}) == []


@pytest.mark.parametrize("make_user", [operator, province_reviewer])
def test_export_province_staff_sees_their_province(client, world, make_user):
    client.force_login(make_user(world["p37"]))

    assert sorted(exported_reg_nos(client)) == ["370100000001", "370200000001"]
    assert exported_reg_nos(client, {"site": "3702"}) == ["370200000001"]
    assert exported_reg_nos(client, {"site": "1301"}) == []


def test_export_province_operator_of_another_province_sees_none(client, world):
    client.force_login(operator(world["p13"]))

    assert exported_reg_nos(client) == ["130100000001"]


def test_export_national_admin_sees_all(client, world):
    client.force_login(national_admin())

    assert sorted(exported_reg_nos(client)) == ["130100000001", "370100000001", "370200000001"]


def test_export_filtered_by_status(client, world):
    status_change(world["a"], CandidateStatus.SUBMITTED)
    client.force_login(operator(world["p37"]))

    assert exported_reg_nos(client, {"status": "submitted"}) == ["370100000001"]
    assert exported_reg_nos(client, {"status": "draft"}) == ["370200000001"]


def test_export_unknown_status_refused(client, world):
    client.force_login(operator(world["p37"]))

    response = client.get(CSV_URL, {"status": "passed"})

    assert response.status_code == 400
    assert "未知的审核状态" in response.content.decode()


def test_export_current_year_by_default(client, world):
    old_year = ExamYearFactory(year=2025, is_current=False)
    CandidateFactory(site=world["jinan"], exam_year=old_year, reg_no="370100009999")
    client.force_login(operator(world["p37"]))

    assert "370100009999" not in exported_reg_nos(client)
    assert exported_reg_nos(client, {"year": "2025"}) == ["370100009999"]


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_export_anonymous_sent_to_log_in(client, world, url):
    response = client.get(url)

    assert response.status_code == 302
    assert "login" in response["Location"]
    assert "next=" in response["Location"]


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_export_candidate_session_refused(client, world, url):
    session = client.session
    session[SESSION_KEY] = world["a"].pk
    session.save()

    response = client.get(url)

    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_export_user_without_staff_scope_forbidden(client, world, url):
    user = get_user_model().objects.create_user("plain", password="x-pass-2026")
    client.force_login(user)

    response = client.get(url)

    assert response.status_code == 403


def test_export_inactive_staff_forbidden(client, world):
    reviewer = site_reviewer(world["jinan"])
    client.force_login(reviewer)
    reviewer.is_active = False
    reviewer.save()

    response = client.get(CSV_URL)

    assert response.status_code in (302, 403)
    assert b"370100000001" not in response.content


def test_export_csv_guards_against_formulas(client, world):
    CandidateFactory(site=world["jinan"], reg_no="370100000002", name="=HYPERLINK(1)")
    CandidateFactory(site=world["jinan"], reg_no="370100000003", name="+1")
    CandidateFactory(site=world["jinan"], reg_no="370100000004", name="-2")
    CandidateFactory(site=world["jinan"], reg_no="370100000005", name="@SUM(A1)")
    CandidateFactory(site=world["jinan"], reg_no="370100000006", name="赵=六")
    client.force_login(site_reviewer(world["jinan"]))

    _response, body = download_csv(client)

    names = {row[0]: row[1] for row in csv_rows(body)[1:]}
    assert names["370100000002"] == "'=HYPERLINK(1)"
    assert names["370100000003"] == "'+1"
    assert names["370100000004"] == "'-2"
    assert names["370100000005"] == "'@SUM(A1)"
    assert names["370100000006"] == "赵=六"


def test_export_reasons_of_the_latest_return(client, world):
    a = world["a"]
    status_change(a, CandidateStatus.SUBMITTED)
    status_change(a, CandidateStatus.RETURNED, reasons=[("身份证明", "缺少反面")])
    status_change(a, CandidateStatus.SUBMITTED)
    status_change(
        a,
        CandidateStatus.RETURNED,
        reasons=[("身份证明", "图片不清晰"), ("学历证书", "=证件已过期")],
        message="请在24小时内修改。",
    )
    b = world["b"]
    status_change(b, CandidateStatus.SUBMITTED)
    status_change(b, CandidateStatus.RETURNED, reasons=[("身份证明", "缺少反面")])
    status_change(b, CandidateStatus.SITE_PASSED, from_status=CandidateStatus.RETURNED)
    client.force_login(operator(world["p37"]))

    _response, body = download_csv(client)

    rows = {row[0]: row for row in csv_rows(body)[1:]}
    assert rows["370100000001"][4] == "退回修改"
    assert rows["370100000001"][6] == (
        "身份证明：图片不清晰；学历证书：=证件已过期；请在24小时内修改。"
    )
    # Passed since: the old return reasons are no longer the result.
    assert rows["370200000001"][4] == "考点通过"
    assert rows["370200000001"][6] == ""


def test_export_rejection_reason(client, world):
    status_change(world["a"], CandidateStatus.SUBMITTED)
    status_change(world["a"], CandidateStatus.REJECTED, message="不符合报考条件。")
    client.force_login(site_reviewer(world["jinan"]))

    _response, body = download_csv(client)

    [row] = csv_rows(body)[1:]
    assert row[4] == "审核拒绝"
    assert row[6] == "不符合报考条件。"


def test_export_csv_in_several_batches(client, world, monkeypatch):
    monkeypatch.setattr("review.exports.rows.BATCH_SIZE", 3)
    for n in range(7):
        CandidateFactory(site=world["jinan"], reg_no=f"3701100000{n:02d}")
    client.force_login(site_reviewer(world["jinan"]))

    reg_nos = exported_reg_nos(client)

    assert len(reg_nos) == 8
    assert len(set(reg_nos)) == 8


def test_export_xlsx_opens_with_the_rows(client, world):
    status_change(world["a"], CandidateStatus.SUBMITTED)
    status_change(world["a"], CandidateStatus.REJECTED, message="=cmd|' /C calc'!A0")
    CandidateFactory(site=world["jinan"], reg_no="370100000002", name="=HYPERLINK(1)")
    client.force_login(operator(world["p37"]))

    response = client.get(XLSX_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["审核结果"]
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == HEADER
    by_reg_no = {row[0].value: row for row in rows[1:]}
    assert sorted(by_reg_no) == ["370100000001", "370100000002", "370200000001"]
    a = by_reg_no["370100000001"]
    assert [cell.value for cell in a[:5]] == [
        "370100000001",
        "张三",
        "110 临床执业医师",
        "3701 济南",
        "审核拒绝",
    ]
    assert a[5].is_date
    # Text that looks like a formula stays text.
    assert a[6].value == "=cmd|' /C calc'!A0"
    assert a[6].data_type == "s"
    assert by_reg_no["370100000002"][1].value == "=HYPERLINK(1)"
    assert by_reg_no["370100000002"][1].data_type == "s"


def test_export_xlsx_starts_before_the_rows_are_read(client, world, django_assert_num_queries):
    # A province's file begins at once: the first bytes leave before the first row is read.
    client.force_login(operator(world["p37"]))
    response = client.get(XLSX_URL)
    assert response.streaming
    chunks = iter(response.streaming_content)
    with django_assert_num_queries(0):
        first = next(chunks)
    assert first.startswith(b"PK")  # a zip
    sheet = load_workbook(io.BytesIO(first + b"".join(chunks)))["审核结果"]
    assert [cell.value for cell in next(sheet.iter_rows())] == HEADER
    assert sheet.max_row > 1


def test_export_xlsx_scoped_to_the_site(client, world):
    client.force_login(site_reviewer(world["qingdao"]))

    response = client.get(XLSX_URL)

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert values == ["370200000001"]


@pytest.mark.parametrize("count", [1, 25])
def test_export_query_count_constant(client, world, django_assert_num_queries, count):
    for n in range(count):
        candidate = CandidateFactory(site=world["qingdao"], reg_no=f"3702200000{n:02d}")
        status_change(candidate, CandidateStatus.SUBMITTED)
        status_change(candidate, CandidateStatus.RETURNED, reasons=[("身份证明", "缺少反面")])
    client.force_login(operator(world["p37"]))

    # session, user, the device that verified the session (the second factor), staff
    # profile with its province, current year, the site and category names; then per batch
    # the candidates and their reasons.
    with django_assert_num_queries(7):
        _response, body = download_csv(client)

    assert len(csv_rows(body)) == 1 + 1 + 1 + count


PAGE_URL = "/api/v1/exports/"


def test_export_page_for_province_staff_offers_their_sites(client, world):
    client.force_login(operator(world["p37"]))

    response = client.get(PAGE_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "导出审核结果" in html
    assert "导出范围：山东考区的考生。" in html
    assert 'value="3701"' in html
    assert 'value="3702"' in html
    assert 'value="1301"' not in html
    assert 'action="/api/v1/exports/results.xlsx"' in html
    assert 'formaction="/api/v1/exports/results.csv"' in html


def test_export_page_for_site_reviewer_has_no_site_choice(client, world):
    client.force_login(site_reviewer(world["jinan"]))

    response = client.get(PAGE_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "导出范围：济南考点的考生。" in html
    assert 'name="site"' not in html


def test_export_page_refuses_anonymous_and_plain_users(client, world):
    assert client.get(PAGE_URL).status_code == 302
    client.force_login(get_user_model().objects.create_user("plain", password="x-pass-2026"))
    assert client.get(PAGE_URL).status_code == 403


def test_export_page_form_values_are_what_the_export_reads(client, world):
    status_change(world["b"], CandidateStatus.SUBMITTED)
    client.force_login(operator(world["p37"]))

    # What the page's form submits: site code, status value, year.
    reg_nos = exported_reg_nos(client, {"site": "3702", "status": "submitted", "year": "2026"})

    assert reg_nos == ["370200000001"]


def test_export_admin_action_streams_the_selected_rows(rf, world):
    from review.exports import export_results_action

    request = rf.post("/admin/accounts/candidate/")
    request.user = operator(world["p37"])
    queryset = Candidate.objects.filter(reg_no__in=["370100000001", "370200000001"])

    response = export_results_action(None, request, queryset)

    rows = csv_rows(b"".join(response.streaming_content))
    assert rows[0] == HEADER
    assert sorted(row[0] for row in rows[1:]) == ["370100000001", "370200000001"]


def test_export_reasons_written_by_the_review_services(client, world):
    from review import services
    from tests.factories.review import candidate_with_photos

    candidate, [category], [first, second] = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, site=world["jinan"], photos=2
    )
    reviewer = site_reviewer(world["jinan"])
    services.image_approve(image=first, by=reviewer)
    services.image_return(image=second, by=reviewer, reason="证件已过期", text="")
    services.candidate_return(candidate=candidate, by=reviewer, message="请重新上传。")
    client.force_login(reviewer)

    _response, body = download_csv(client)

    rows = {row[0]: row for row in csv_rows(body)[1:]}
    assert rows[candidate.reg_no][4] == "退回修改"
    assert rows[candidate.reg_no][6] == f"{category.name}：证件已过期；请重新上传。"
