"""Rosters: the registration system pushes its candidates before they enter (signed batch
upsert API) or an operator imports the file in the admin. Idempotent, with a report of what
each record did; a pushed candidate is "not started" until their first entry, which then
continues as a first entry."""

import hashlib
import io
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from accounts.entry import payload_for_candidate, sign_entry_token
from accounts.enums import CandidateEventAction
from accounts.models import Candidate, CandidateEvent
from accounts.selectors import candidates_not_started
from accounts.services.roster import ROSTER_API_MAX_RECORDS, ROSTER_COLUMNS, roster_upsert
from review.api import canonical_string, sign_request
from tests.factories.accounts import (
    CandidateFactory,
    ExamCategoryFactory,
    ProvinceFactory,
    TestSiteFactory,
    operator,
    province_reviewer,
)

pytestmark = pytest.mark.django_db

PATH = "/api/v1/roster"
SECRET = "test-entry-secret"  # config/settings/test.py


@pytest.fixture
def world():
    tianjin = ProvinceFactory(code="12", name="天津")
    hebei = ProvinceFactory(code="13", name="河北")
    return {
        "tianjin": tianjin,
        "hebei": hebei,
        "heping": TestSiteFactory(province=tianjin, code="1201", name="和平区"),
        "hexi": TestSiteFactory(province=tianjin, code="1202", name="河西区"),
        "shijiazhuang": TestSiteFactory(province=hebei, code="1301", name="石家庄"),
        "clinical": ExamCategoryFactory(code="110", name="临床执业医师"),
        "operator": operator(tianjin, username="operator12"),
    }


def record(n: int, **changes) -> dict:
    return {
        "reg_no": f"1226{n:08d}",
        "year": 2026,
        "name": f"考生{n}",
        "id_type": "id_card",
        "id_no": f"12010119900101{n:04d}",
        "province": "12",
        "site": "1201",
        "category": "110",
        "tags": [],
        **changes,
    }


def push(client, body, *, secret=SECRET, timestamp=None, sign_body=None):
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = sign_request(
        secret=secret,
        method="POST",
        path=PATH,
        query_string="",
        timestamp=timestamp,
        body=raw if sign_body is None else sign_body,
    )
    return client.post(
        PATH,
        data=raw,
        content_type="application/json",
        headers={"X-Yishen-Timestamp": timestamp, "X-Yishen-Signature": signature},
    )


def test_pushed_roster_creates_not_started_candidates(client, world):
    response = push(
        client, {"candidates": [record(1), record(2, site="1202", tags=["应届毕业生"])]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "refused": 0}
    assert [r["result"] for r in body["results"]] == ["created", "created"]
    second = Candidate.objects.get(reg_no="122600000002")
    assert second.site == world["hexi"]
    assert second.tags == ["应届毕业生"]
    assert second.last_entry_at is None and not second.has_started
    assert second.activated_at is None
    # Stored like an entered candidate's: encrypted, found by its keyed hash.
    assert Candidate.objects.with_id_no("120101199001010002").get() == second
    assert "120101199001010002" not in second.id_no_cipher
    assert CandidateEvent.objects.filter(
        candidate=second, action=CandidateEventAction.ROSTER
    ).exists()


def test_pushing_the_same_roster_again_changes_nothing(client, world):
    roster = {"candidates": [record(1), record(2)]}
    push(client, roster)
    events = CandidateEvent.objects.count()
    body = push(client, roster).json()
    assert body["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "refused": 0}
    assert Candidate.objects.count() == 2
    assert CandidateEvent.objects.count() == events


def test_pushed_change_updates_a_candidate_who_has_not_entered(client, world):
    push(client, {"candidates": [record(1)]})
    body = push(client, {"candidates": [record(1, name="改名", site="1202")]}).json()
    assert body["results"][0]["result"] == "updated"
    candidate = Candidate.objects.get(reg_no="122600000001")
    assert (candidate.name, candidate.site.code) == ("改名", "1202")
    assert candidate.registration_changes == []  # they never saw the old data


def test_pushed_change_for_a_candidate_who_entered_is_shown_to_them(client, world):
    candidate = CandidateFactory(
        reg_no="122600000001", site=world["heping"], last_entry_at="2026-03-01T08:00:00+08:00"
    )
    data = record(1, name=candidate.name, id_no=candidate.id_no, site="1202")
    body = push(client, {"candidates": [data]}).json()
    assert body["results"][0]["result"] == "updated"
    candidate.refresh_from_db()
    assert candidate.site == world["hexi"]
    assert [c["field"] for c in candidate.registration_changes] == ["site"]


def test_each_refused_record_says_why_and_the_rest_is_written(client, world):
    roster = [
        record(1),
        record(2, year="2026"),
        record(3, id_type="driving_licence"),
        record(4, province="99"),
        record(5, site="9999"),
        record(6, site="1301"),
        record(7, category="999"),
        record(8),
        record(8, name="同号"),
        "not an object",
        {k: v for k, v in record(9).items() if k != "name"},
    ]
    body = push(client, {"candidates": roster}).json()
    outcome = {r["index"]: (r["result"], r.get("code", "")) for r in body["results"]}
    assert outcome == {
        0: ("created", ""),
        1: ("refused", "bad_year"),
        2: ("refused", "bad_id_type"),
        3: ("refused", "unknown_province"),
        4: ("refused", "unknown_site"),
        5: ("refused", "site_not_in_province"),
        6: ("refused", "unknown_category"),
        7: ("refused", "duplicate"),
        8: ("refused", "duplicate"),
        9: ("refused", "malformed"),
        10: ("refused", "bad_name"),
    }
    reasons = {r["index"]: r.get("reason") for r in body["results"]}
    assert reasons[4] == "考点代码 9999 不存在"
    assert reasons[5] == "考点 1301 不属于考区 12"
    assert reasons[7] == "报名号 122600000008 在本批中重复"
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "refused": 10}
    assert list(Candidate.objects.values_list("reg_no", flat=True)) == ["122600000001"]


def test_pushed_record_with_several_problems_lists_each_first_one_as_its_code(client, world):
    bad = record(1, site="1301", category="999", mobile="123", tags=[""])
    del bad["name"]
    body = push(client, {"candidates": [bad]}).json()
    (result,) = body["results"]
    assert (result["result"], result["code"]) == ("refused", "bad_name")
    assert result["reason"] == "姓名缺失或过长（最多 64 个字）"
    assert result["problems"] == [
        {"code": "bad_name", "reason": "姓名缺失或过长（最多 64 个字）"},
        {"code": "bad_tags", "reason": "考生标记不正确（最多 20 个，每个最多 32 个字）"},
        {"code": "bad_mobile", "reason": "手机号码“123”格式不正确（应为11位手机号码）"},
        {"code": "site_not_in_province", "reason": "考点 1301 不属于考区 12"},
        {"code": "unknown_category", "reason": "报考类别代码 999 不存在"},
    ]
    assert not Candidate.objects.exists()


def test_pushed_mobile_is_kept_for_the_reminders_apart_from_the_phone(client, world):
    body = push(client, {"candidates": [record(1, mobile="13812345678"), record(2)]}).json()
    assert body["counts"]["created"] == 2
    first = Candidate.objects.get(reg_no="122600000001")
    assert (first.roster_mobile, first.phone, first.reminder_phone) == (
        "13812345678",
        "",
        "13812345678",
    )
    assert Candidate.objects.get(reg_no="122600000002").roster_mobile == ""


def test_pushed_mobile_is_refused_unless_an_11_digit_mainland_mobile(client, world):
    bad = ["1381234567", "23812345678", "+8613812345678", 13812345678, "138 1234 5678"]
    body = push(client, {"candidates": [record(n, mobile=m) for n, m in enumerate(bad)]}).json()
    assert [r.get("code") for r in body["results"]] == ["bad_mobile"] * len(bad)
    assert body["results"][0]["reason"] == "手机号码“1381234567”格式不正确（应为11位手机号码）"
    assert not Candidate.objects.exists()


def test_pushed_mobile_changes_cleared_or_left_as_it_was(client, world):
    push(client, {"candidates": [record(1, mobile="13812345678")]})
    candidate = Candidate.objects.get()
    # A record without the field leaves it; another number replaces it; "" or null clear it.
    assert push(client, {"candidates": [record(1)]}).json()["counts"]["unchanged"] == 1
    assert push(client, {"candidates": [record(1, mobile="13987654321")]}).json()["counts"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "refused": 0,
    }
    candidate.refresh_from_db()
    assert candidate.roster_mobile == "13987654321"
    event = candidate.account_events.last()
    assert (event.action, event.data["fields"]) == (CandidateEventAction.ROSTER, ["mobile"])
    push(client, {"candidates": [record(1, mobile=None)]})
    candidate.refresh_from_db()
    assert candidate.roster_mobile == ""


def test_pushed_mobile_of_a_candidate_who_entered_leaves_their_verified_phone(client, world):
    candidate = CandidateFactory(reg_no="122600000001", site=world["heping"], phone="13900000001")
    data = record(1, name=candidate.name, id_no=candidate.id_no, mobile="13812345678")
    assert push(client, {"candidates": [data]}).json()["results"][0]["result"] == "updated"
    candidate.refresh_from_db()
    assert (candidate.phone, candidate.roster_mobile) == ("13900000001", "13812345678")
    assert candidate.reminder_phone == "13900000001"
    assert candidate.registration_changes == []  # nothing the candidate has to be shown
    event = candidate.account_events.get(action=CandidateEventAction.ROSTER)
    assert event.data == {"fields": ["mobile"], "mobile": "138****5678"}


def test_roster_push_with_a_changed_body_is_refused(client, world):
    signed = json.dumps({"candidates": [record(1)]}).encode()
    sent = json.dumps({"candidates": [record(1, name="篡改")]}).encode()
    response = push(client, sent, sign_body=signed)
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert not Candidate.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [({"secret": "wrong"}, "bad_signature"), ({"timestamp": 1_000_000_000}, "stale_timestamp")],
)
def test_roster_push_badly_signed_is_refused(client, world, kwargs, code):
    response = push(client, {"candidates": [record(1)]}, **kwargs)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert not Candidate.objects.exists()


def test_roster_push_unsigned_is_refused(client, world):
    response = client.post(PATH, data={"candidates": [record(1)]}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "missing_signature"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad_json"),
        ("考生".encode("gb18030"), 400, "bad_json"),
        ({"candidates": []}, 400, "bad_body"),
        ({"students": [record(1)]}, 400, "bad_body"),
        ([record(1)], 400, "bad_body"),
        ({"candidates": [record(1)] * (ROSTER_API_MAX_RECORDS + 1)}, 413, "too_many_records"),
    ],
    ids=["not-json", "not-utf8", "empty", "wrong-key", "bare-list", "too-many"],
)
def test_roster_push_with_a_bad_body_is_refused(client, world, body, status, code):
    response = push(client, body)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["error"]
    assert not Candidate.objects.exists()


def test_roster_api_answers_get_with_405(client, world):
    assert client.get(PATH).status_code == 405


def test_results_api_signature_is_unchanged_by_the_body_line():
    # A GET signs the four lines it always did (docs/integration.md's worked example).
    assert (
        canonical_string(method="GET", path="/api/v1/results", query_string="", timestamp="1")
        == "GET\n/api/v1/results\n\n1"
    )
    post = canonical_string(method="POST", path=PATH, query_string="", timestamp="1", body=b"{}")
    assert post.endswith("\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")


# --- first entry and "not started" ---------------------------------------------------------


def enter(client, candidate_payload):
    token = sign_entry_token(candidate_payload, SECRET)
    return client.get("/entry/", {"t": token})


def test_first_entry_of_a_pushed_candidate_continues_as_a_first_entry(client, world):
    push(client, {"candidates": [record(1)]})
    candidate = Candidate.objects.get(reg_no="122600000001")
    payload = payload_for_candidate(candidate)
    payload["name"] = "考生1"  # as pushed; the token's data wins where they differ
    payload["site"] = "1202"
    response = enter(client, payload)
    assert response.status_code == 302
    assert client.get(response.url).url == "/activate/"
    candidate.refresh_from_db()
    assert candidate.has_started
    assert candidate.site == world["hexi"]
    assert candidate.registration_changes == []
    actions = list(candidate.account_events.values_list("action", flat=True))
    assert actions == [CandidateEventAction.ROSTER, CandidateEventAction.ENTRY_FIRST]
    assert Candidate.objects.count() == 1


def test_reminder_selector_finds_pushed_candidates_who_never_entered(client, world):
    body = {"candidates": [record(1), record(2), record(3, province="13", site="1301")]}
    push(client, body)
    CandidateFactory(site=world["heping"], last_entry_at="2026-03-01T08:00:00+08:00")
    enter(client, payload_for_candidate(Candidate.objects.get(reg_no="122600000002")))

    never_entered = candidates_not_started(province=world["tianjin"])

    assert list(never_entered.values_list("reg_no", flat=True)) == ["122600000001"]
    assert candidates_not_started().count() == 2
    assert candidates_not_started(site=world["shijiazhuang"]).get().reg_no == "122600000003"


# --- the admin's roster import -------------------------------------------------------------

IMPORT_URL = "/admin/accounts/candidate/import/"
HEADER = [
    "报名号",
    "年度",
    "姓名",
    "证件类型",
    "证件号码",
    "考区代码",
    "考点代码",
    "报考类别代码",
    "考生标记",
    "手机号码",
]


def sheet(rows) -> io.BytesIO:
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "roster.xlsx"
    return buffer


def row(n: int, mobile: str = "", **changes) -> list:
    data = record(n, **changes)
    tags = "、".join(data["tags"])
    return [
        data["reg_no"],
        2026,
        data["name"],
        "居民身份证",
        data["id_no"],
        data["province"],
        data["site"],
        "110",
        tags,
        mobile,
    ]


def test_operator_imports_a_roster_file_with_a_report(client, world):
    CandidateFactory(reg_no="122600000009", site=world["shijiazhuang"])
    rows = [
        row(1, tags=["应届毕业生", "在读研究生"], mobile="+86 138-1234-5678"),
        row(2),
        row(3, province="13", site="1301"),
        row(4, site="9999"),
        row(9),
    ]
    client.force_login(world["operator"])
    response = client.post(IMPORT_URL, {"province": world["tianjin"].pk, "file": sheet(rows)})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0, "refused": 3}
    page = response.content.decode()
    assert "新增 2 人，更新 0 人，无变化 0 人，未导入 3 行。" in page
    assert "第 4 行" in page and "考区代码 13 不是本考区（天津）" in page
    assert "第 5 行" in page and "考点代码 9999 不存在" in page
    assert "第 6 行" in page and "该考生属于其他考区，不能由本考区导入修改" in page
    first = Candidate.objects.get(reg_no="122600000001")
    assert first.tags == ["应届毕业生", "在读研究生"]
    assert first.id_type == "id_card"
    assert first.roster_mobile == "13812345678"

    again = client.post(IMPORT_URL, {"province": world["tianjin"].pk, "file": sheet(rows[:2])})
    assert again.context["report"].counts["unchanged"] == 2


def test_roster_file_with_a_bad_mobile_reports_the_row(client, world):
    client.force_login(world["operator"])
    response = client.post(
        IMPORT_URL, {"province": world["tianjin"].pk, "file": sheet([row(1, mobile="1234")])}
    )
    page = response.content.decode()
    assert "第 2 行" in page and "手机号码“1234”格式不正确（应为11位手机号码）" in page
    assert not Candidate.objects.exists()


def test_roster_csv_row_lists_every_problem_by_its_chinese_column(client, world):
    """A row with no name, ID number X, another province's site, an unknown category and a
    short mobile: each problem, named as the sheet's headers name the columns."""
    lines = [",".join(HEADER), ",".join(str(v) for v in row(1))]
    lines.append("122600000002,2026,,居民身份证,X,12,1301,999,,123")
    upload = SimpleUploadedFile("roster.csv", "\n".join(lines).encode("utf-8"))
    client.force_login(world["operator"])
    response = client.post(IMPORT_URL, {"province": world["tianjin"].pk, "file": upload})
    assert response.context["report"].counts["refused"] == 1
    page = response.content.decode()
    assert "第 3 行" in page
    assert (
        "姓名缺失或过长（最多 64 个字）；手机号码“123”格式不正确（应为11位手机号码）；"
        "考点 1301 不属于考区 12；报考类别代码 999 不存在"
    ) in page
    assert "字段" not in page and " name " not in page
    assert list(Candidate.objects.values_list("reg_no", flat=True)) == ["122600000001"]


def test_roster_row_problems_in_english(world):
    keys = [column.key for column in ROSTER_COLUMNS]
    bad = {"number": 2, **dict(zip(keys, row(1, site="1301"), strict=True)), "name": ""}
    with translation.override("en"):
        report = roster_upsert(records=[bad], province=world["tianjin"], from_sheet=True)
    assert report.refused[0].reasons == [
        "Name missing or too long (at most 64 characters)",
        "Test site 1301 does not belong to province 12",
    ]


def test_operator_cannot_import_a_roster_into_another_province(client, world):
    client.force_login(world["operator"])
    response = client.post(
        IMPORT_URL,
        {"province": world["hebei"].pk, "file": sheet([row(3, province="13", site="1301")])},
    )
    assert "report" not in response.context
    assert not Candidate.objects.exists()


def test_roster_upsert_refuses_a_row_with_an_unreadable_year_from_a_sheet(world):
    report = roster_upsert(
        records=[
            {
                "number": 7,
                **dict(zip(["reg_no", "year"], ["122600000001", "二〇二六"], strict=True)),
            }
        ],
        province=world["tianjin"],
        from_sheet=True,
    )
    assert [(o.number, o.code) for o in report.refused] == [(7, "bad_year")]


def test_dashboard_counts_pushed_candidates_who_have_not_started(client, world):
    push(client, {"candidates": [record(1), record(2), record(3, site="1202")]})
    CandidateFactory(site=world["heping"])  # entered: a draft, but started
    enter(client, payload_for_candidate(Candidate.objects.get(reg_no="122600000003")))
    client.force_login(province_reviewer(world["tianjin"]))
    response = client.get("/review/dashboard/")
    sites = {s["code"]: s for s in response.context["sites"]}
    assert sites["1201"]["not_started"] == 2
    assert sites["1201"]["counts"]["draft"] == 3
    assert sites["1202"]["not_started"] == 0
    assert response.context["totals"]["not_started"] == 2
    assert '<td class="not-started">2</td>' in response.content.decode()


# --- docs/integration.md's roster example must stay true ------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


def _roster_doc() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## 考生名单接口 / Roster API") :]


def _block_after(text: str, marker: str) -> str:
    start = text.index(marker)
    return re.search(r"```\n(.*?)```", text[start:], re.S).group(1).strip()


def test_roster_doc_example_is_what_yishen_checks():
    text = _roster_doc()
    body = _block_after(text, "Body — exactly").encode("utf-8")
    assert f"exactly these {len(body)} bytes" in text
    assert _block_after(text, "SHA-256 of the body, hex") == hashlib.sha256(body).hexdigest()
    canonical = _block_after(text, "Canonical string — exactly").replace("\\n", "\n")
    assert f"exactly these {len(canonical.encode())} bytes" in text
    assert canonical == canonical_string(
        method="POST", path=PATH, query_string="", timestamp="1767225600", body=body
    )
    assert _block_after(text, "the roster `X-Yishen-Signature`") == sign_request(
        secret="yishen-example-secret-2026",
        method="POST",
        path=PATH,
        query_string="",
        timestamp="1767225600",
        body=body,
    )


def test_roster_doc_python_snippet_runs_and_its_push_is_accepted(client, settings, world):
    text = _roster_doc()
    snippet = re.search(r"#### Python \(roster\)\n\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(snippet, "integration.md", "exec"), namespace)  # noqa: S102 - our own document
    settings.YISHEN_ENTRY_SECRET = namespace["SECRET"]
    raw = namespace["serialise"]([record(1)])
    timestamp = str(int(time.time()))
    response = client.post(
        PATH,
        data=raw,
        content_type="application/json",
        headers={
            "X-Yishen-Timestamp": timestamp,
            "X-Yishen-Signature": namespace["sign_post"](raw, timestamp),
        },
    )
    assert response.json()["counts"]["created"] == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_roster_doc_shell_snippet_runs(tmp_path):
    text = _roster_doc()
    snippet = re.search(r"#### Shell \(roster, curl and OpenSSL\)\n\n```sh\n(.*?)```", text, re.S)
    script = snippet.group(1).split("curl ")[0]  # up to the request itself
    result = subprocess.run(  # noqa: S603
        ["bash", "-c", script],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert result.stdout.strip() == _block_after(text, "the roster `X-Yishen-Signature`")
