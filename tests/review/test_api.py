"""The results API the registration system pulls: signature refusals, paging, contents."""

import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from accounts.enums import CandidateStatus
from review.api import canonical_query, canonical_string, decode_cursor, sign_request
from review.enums import ActorKind, EventAction
from review.models import Feedback, ReviewEvent
from tests.factories.accounts import CandidateFactory, ProvinceFactory, TestSiteFactory
from tests.factories.results import ReviewEventFactory, status_change

pytestmark = pytest.mark.django_db

PATH = "/api/v1/results"
SECRET = "test-entry-secret"  # config/settings/test.py


@pytest.fixture(autouse=True)
def _no_settle_time(settings):
    # Rows are handed out at once in tests; the hold-back has its own test below.
    settings.YISHEN_RESULTS_SETTLE_SECONDS = 0


def signed_get(client, params=None, *, secret=SECRET, timestamp=None, sign_query=None):
    """GET /api/v1/results as the registration system does. `sign_query` signs another
    query string than the one sent (a replayed signature)."""
    query = urlencode(params or {})
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = sign_request(
        secret=secret,
        method="GET",
        path=PATH,
        query_string=query if sign_query is None else sign_query,
        timestamp=timestamp,
    )
    return client.get(
        f"{PATH}?{query}" if query else PATH,
        headers={"X-Yishen-Timestamp": timestamp, "X-Yishen-Signature": signature},
    )


def reg_nos(response):
    return [row["reg_no"] for row in response.json()["results"]]


def test_results_missing_signature_refused(client):
    status_change(CandidateFactory(), CandidateStatus.SUBMITTED)

    response = client.get(PATH)

    assert response.status_code == 401
    assert response.json()["code"] == "missing_signature"
    assert "缺少签名" in response.json()["error"]
    assert "results" not in response.json()


def test_results_missing_timestamp_refused(client):
    response = client.get(PATH, headers={"X-Yishen-Signature": "00" * 32})

    assert response.status_code == 401
    assert response.json()["code"] == "missing_signature"


def test_results_wrong_secret_refused(client):
    status_change(CandidateFactory(), CandidateStatus.SUBMITTED)

    response = signed_get(client, secret="not-the-secret")

    assert response.status_code == 401
    assert response.json() == {
        "code": "bad_signature",
        "error": "签名无效：请检查密钥与待签名字符串。",
    }


def test_results_garbage_signature_refused(client):
    response = client.get(
        PATH,
        headers={"X-Yishen-Timestamp": str(int(time.time())), "X-Yishen-Signature": "zz"},
    )

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"


# A future stamp only gets closer to now while the test runs: +330, not +301, so that a slow
# second between signing and checking cannot bring it inside the 300 s window.
@pytest.mark.parametrize("skew", [-301, 330, -3600])
def test_results_stale_timestamp_refused(client, skew):
    response = signed_get(client, timestamp=int(time.time()) + skew)

    assert response.status_code == 401
    assert response.json()["code"] == "stale_timestamp"
    assert "时间戳已过期" in response.json()["error"]


def test_results_malformed_timestamp_refused(client):
    response = signed_get(client, timestamp="2026-11-22T16:00:00")

    assert response.status_code == 401
    assert response.json()["code"] == "bad_timestamp"


def test_results_signature_replayed_with_other_query_refused(client):
    status_change(CandidateFactory(), CandidateStatus.SUBMITTED)

    response = signed_get(client, {"limit": "1000"}, sign_query="limit=1")

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"


def test_results_signature_replayed_on_other_path_refused(client):
    timestamp = str(int(time.time()))
    signature = sign_request(
        secret=SECRET, method="GET", path="/api/v1/other", query_string="", timestamp=timestamp
    )

    response = client.get(
        PATH, headers={"X-Yishen-Timestamp": timestamp, "X-Yishen-Signature": signature}
    )

    assert response.status_code == 401


def test_results_signature_accepts_any_parameter_order_and_upper_hex(client):
    candidate = CandidateFactory()
    status_change(candidate, CandidateStatus.SUBMITTED)
    timestamp = str(int(time.time()))
    signature = sign_request(
        secret=SECRET,
        method="GET",
        path=PATH,
        query_string="limit=10&province=" + candidate.province.code,
        timestamp=timestamp,
    )

    response = client.get(
        f"{PATH}?province={candidate.province.code}&limit=10",
        headers={"X-Yishen-Timestamp": timestamp, "X-Yishen-Signature": signature.upper()},
    )

    assert response.status_code == 200
    assert reg_nos(response) == [candidate.reg_no]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_results_other_methods_not_allowed_not_a_csrf_page(method):
    """As a browser or a client without a CSRF token meets it: 405 with Allow: GET (the test
    client skips CSRF checks unless told to)."""
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(PATH)

    assert response.status_code == 405
    assert response["Allow"] == "GET"


EXAMPLE_SIGNATURE = "9b747729bc6e97eeb17237b40f9370d833a2679334678a908898801283be2820"


def results_section() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "integration.md").read_text("utf-8")
    start = text.index("## 审核结果接口 / Results API")
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


def code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def test_canonical_string_worked_example_of_the_documentation():
    # The example of docs/integration.md, «审核结果接口 / Results API»: keep them in step.
    query = "since=cjE6MTIzNDU&limit=2&province=37"

    assert canonical_query(query) == "limit=2&province=37&since=cjE6MTIzNDU"
    assert canonical_string(
        method="GET", path=PATH, query_string=query, timestamp="1767225600"
    ) == ("GET\n/api/v1/results\nlimit=2&province=37&since=cjE6MTIzNDU\n1767225600")
    signature = sign_request(
        secret="yishen-example-secret-2026",
        method="GET",
        path=PATH,
        query_string=query,
        timestamp="1767225600",
    )
    assert signature == EXAMPLE_SIGNATURE
    assert EXAMPLE_SIGNATURE in results_section()
    assert decode_cursor("cjE6MTIzNDU") == 12345


def test_documented_python_client_reproduces_the_example():
    [client_code, _loop] = code_blocks(results_section(), "python")
    namespace: dict = {}

    exec(compile(client_code, "docs/integration.md", "exec"), namespace)  # noqa: S102 (asserts inside)

    assert namespace["sign"]("limit=2&province=37&since=cjE6MTIzNDU", "1767225600") == (
        EXAMPLE_SIGNATURE
    )
    # The server accepts what the documented client signs.
    query = namespace["canonical_query"]({"limit": 5, "province": "37"})
    assert namespace["sign"](query, "1767225600") == sign_request(
        secret="yishen-example-secret-2026",
        method="GET",
        path=PATH,
        query_string=query,
        timestamp="1767225600",
    )


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_documented_shell_snippet_reproduces_the_example():
    [shell] = code_blocks(results_section(), "sh")
    script = shell[: shell.index("curl ")]  # everything up to the request itself

    result = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )

    assert result.stdout.strip() == EXAMPLE_SIGNATURE


def test_canonical_query_encodes_reserved_characters():
    assert canonical_query("b=%E6%B5%8B+x&a=1&a=0") == "a=0&a=1&b=%E6%B5%8B%20x"


def test_results_row_contents(client):
    site = TestSiteFactory()
    candidate = CandidateFactory(site=site)
    status_change(candidate, CandidateStatus.SUBMITTED)

    response = signed_get(client)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["has_more"] is False
    [row] = body["results"]
    event = ReviewEvent.objects.get()
    assert row == {
        "reg_no": candidate.reg_no,
        "year": 2026,
        "province": site.province.code,
        "site": site.code,
        "category": "110",
        "status": "submitted",
        "status_label": "已提交",
        "changed_at": timezone.localtime(event.created_at).isoformat(),
        "reasons": [],
        "message": "",
    }
    assert decode_cursor(body["next_cursor"]) == event.id


def test_results_returned_and_rejected_carry_their_reasons(client):
    returned = CandidateFactory()
    rejected = CandidateFactory()
    status_change(returned, CandidateStatus.SUBMITTED)
    status_change(rejected, CandidateStatus.SUBMITTED)
    status_change(
        returned,
        CandidateStatus.RETURNED,
        reasons=[("身份证明", "图片不清晰"), ("学历证书", "证件已过期")],
        message="请重新拍摄。",
    )
    status_change(rejected, CandidateStatus.REJECTED, message="不符合报考条件。", reasons=[])

    rows = signed_get(client).json()["results"]

    assert [(r["reg_no"], r["status"], r["status_label"]) for r in rows] == [
        (returned.reg_no, "submitted", "已提交"),
        (rejected.reg_no, "submitted", "已提交"),
        (returned.reg_no, "returned", "退回修改"),
        (rejected.reg_no, "rejected", "审核拒绝"),
    ]
    assert rows[2]["reasons"] == ["身份证明：图片不清晰", "学历证书：证件已过期"]
    assert rows[2]["message"] == "请重新拍摄。"
    assert rows[3]["reasons"] == []
    assert rows[3]["message"] == "不符合报考条件。"


def test_results_each_return_keeps_its_own_reasons(client):
    candidate = CandidateFactory()
    status_change(candidate, CandidateStatus.SUBMITTED)
    status_change(candidate, CandidateStatus.RETURNED, reasons=[("身份证明", "缺少反面")])
    status_change(candidate, CandidateStatus.SUBMITTED, action=EventAction.RESUBMIT)
    status_change(candidate, CandidateStatus.RETURNED, reasons=[("身份证明", "图片不清晰")])

    rows = signed_get(client).json()["results"]

    assert [r["reasons"] for r in rows if r["status"] == "returned"] == [
        ["身份证明：缺少反面"],
        ["身份证明：图片不清晰"],
    ]


def test_results_reasons_from_feedback_when_the_event_has_none(client):
    candidate = CandidateFactory()
    # Each Feedback a moment after its own event, hours apart from the other decision.
    start = timezone.now() - timezone.timedelta(hours=5)
    status_change(candidate, CandidateStatus.SUBMITTED, at=start - timezone.timedelta(hours=1))
    status_change(
        candidate,
        CandidateStatus.RETURNED,
        reasons=[("身份证明", "缺少反面")],
        recorded=False,
        at=start,
    )
    status_change(
        candidate,
        CandidateStatus.SUBMITTED,
        action=EventAction.RESUBMIT,
        at=start + timezone.timedelta(hours=1),
    )
    status_change(
        candidate,
        CandidateStatus.RETURNED,
        reasons=[("身份证明", "图片不清晰")],
        message="请重新拍摄。",
        recorded=False,
        at=start + timezone.timedelta(hours=3),
    )
    for feedback, hours in zip(Feedback.objects.order_by("id"), (0, 3), strict=True):
        Feedback.objects.filter(pk=feedback.pk).update(
            created_at=start + timezone.timedelta(hours=hours, microseconds=40)
        )

    rows = [r for r in signed_get(client).json()["results"] if r["status"] == "returned"]

    assert [(r["reasons"], r["message"]) for r in rows] == [
        (["身份证明：缺少反面"], ""),
        (["身份证明：图片不清晰"], "请重新拍摄。"),
    ]


def test_results_leave_out_events_that_change_no_status(client):
    candidate = CandidateFactory(status=CandidateStatus.SUBMITTED)
    ReviewEventFactory(
        candidate=candidate,
        actor_kind=ActorKind.STAFF,
        action=EventAction.IMAGE_RETURN,
        from_status="pending",
        to_status="returned",
    )
    ReviewEventFactory(candidate=candidate, action=EventAction.NOTE, from_status="", to_status="")
    ReviewEventFactory(
        candidate=candidate,
        action=EventAction.SUBMIT,
        from_status=CandidateStatus.SUBMITTED,
        to_status=CandidateStatus.SUBMITTED,
    )
    ReviewEventFactory(candidate=candidate, action=EventAction.CLAIM, to_status="")

    body = signed_get(client).json()

    assert body["results"] == []
    assert body["has_more"] is False


def test_results_filtered_by_province(client):
    mine = CandidateFactory(site=TestSiteFactory(province=ProvinceFactory(code="37")))
    other = CandidateFactory(site=TestSiteFactory(province=ProvinceFactory(code="13")))
    status_change(mine, CandidateStatus.SUBMITTED)
    status_change(other, CandidateStatus.SUBMITTED)

    assert reg_nos(signed_get(client, {"province": "37"})) == [mine.reg_no]
    assert reg_nos(signed_get(client, {"province": "13"})) == [other.reg_no]
    assert reg_nos(signed_get(client, {"province": "99"})) == []


def test_results_paged_by_cursor_without_loss_or_repeat(client):
    site = TestSiteFactory()
    first = [CandidateFactory(site=site) for _ in range(5)]
    for candidate in first:
        status_change(candidate, CandidateStatus.SUBMITTED)

    page1 = signed_get(client, {"limit": 2}).json()
    assert page1["has_more"] is True
    assert len(page1["results"]) == 2

    # Decisions keep coming while the registration system pages through.
    late = CandidateFactory(site=site)
    status_change(late, CandidateStatus.SUBMITTED)
    status_change(first[0], CandidateStatus.SITE_PASSED)

    seen = [(r["reg_no"], r["status"]) for r in page1["results"]]
    cursor = page1["next_cursor"]
    pages = 1
    while True:
        body = signed_get(client, {"since": cursor, "limit": 2}).json()
        seen += [(r["reg_no"], r["status"]) for r in body["results"]]
        cursor = body["next_cursor"]
        pages += 1
        if not body["has_more"]:
            break

    expected = [(c.reg_no, "submitted") for c in first]
    expected += [(late.reg_no, "submitted"), (first[0].reg_no, "site_passed")]
    assert seen == expected
    assert pages == 4

    # Caught up: the same cursor gives nothing, until something new happens.
    body = signed_get(client, {"since": cursor}).json()
    assert body == {"results": [], "next_cursor": cursor, "has_more": False}
    status_change(first[1], CandidateStatus.RETURNED, reasons=[("身份证明", "图片不清晰")])
    body = signed_get(client, {"since": cursor}).json()
    assert [(r["reg_no"], r["status"]) for r in body["results"]] == [(first[1].reg_no, "returned")]


def test_results_hold_back_rows_that_may_not_be_settled(client, settings):
    settings.YISHEN_RESULTS_SETTLE_SECONDS = 60
    old = CandidateFactory()
    new = CandidateFactory()
    status_change(old, CandidateStatus.SUBMITTED, at=timezone.now() - timezone.timedelta(minutes=5))
    status_change(
        new, CandidateStatus.SUBMITTED, at=timezone.now() - timezone.timedelta(seconds=30)
    )

    body = signed_get(client).json()

    assert reg_nos_of(body) == [old.reg_no]
    assert body["has_more"] is False
    # The held-back row comes once it is old enough (here: the window shrinks below its
    # age, as audit rows' times never change).
    settings.YISHEN_RESULTS_SETTLE_SECONDS = 10
    body = signed_get(client, {"since": body["next_cursor"]}).json()
    assert reg_nos_of(body) == [new.reg_no]


def reg_nos_of(body):
    return [row["reg_no"] for row in body["results"]]


@pytest.mark.parametrize("cursor", ["garbage!", "cjE6", "eDE6MTI", "cjE6LTE"])
def test_results_bad_cursor_refused(client, cursor):
    response = signed_get(client, {"since": cursor})

    assert response.status_code == 400
    assert response.json()["code"] == "bad_cursor"


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "1.5"])
def test_results_bad_limit_refused(client, limit):
    response = signed_get(client, {"limit": limit})

    assert response.status_code == 400
    assert response.json()["code"] == "bad_limit"


def test_results_limit_capped_at_1000(client):
    candidates = CandidateFactory.create_batch(3)
    for candidate in candidates:
        status_change(candidate, CandidateStatus.SUBMITTED)

    response = signed_get(client, {"limit": 50000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize("count", [1, 30])
def test_results_query_count_constant(client, django_assert_num_queries, count):
    site = TestSiteFactory()
    for _ in range(count):
        candidate = CandidateFactory(site=site)
        status_change(candidate, CandidateStatus.SUBMITTED)
        status_change(candidate, CandidateStatus.RETURNED, reasons=[("身份证明", "缺少反面")])

    # One query: the events with their candidates (the reasons are in the events).
    with django_assert_num_queries(1):
        response = signed_get(client, {"limit": 1000})

    assert len(response.json()["results"]) == 2 * count
    assert response.json()["results"][-1]["reasons"] == ["身份证明：缺少反面"]


@pytest.mark.parametrize("count", [1, 30])
def test_results_query_count_constant_with_reasons_from_feedback(
    client, django_assert_num_queries, count
):
    site = TestSiteFactory()
    for _ in range(count):
        candidate = CandidateFactory(site=site)
        status_change(candidate, CandidateStatus.SUBMITTED)
        status_change(
            candidate, CandidateStatus.RETURNED, reasons=[("身份证明", "缺少反面")], recorded=False
        )

    # The events, then the Feedback of the returns that did not record their reasons.
    with django_assert_num_queries(2):
        response = signed_get(client, {"limit": 1000})

    assert len(response.json()["results"]) == 2 * count
    assert response.json()["results"][-1]["reasons"] == ["身份证明：缺少反面"]


@pytest.mark.parametrize("count", [1, 30])
def test_results_query_count_constant_with_province(client, django_assert_num_queries, count):
    site = TestSiteFactory()
    for _ in range(count):
        candidate = CandidateFactory(site=site)
        status_change(candidate, CandidateStatus.SUBMITTED)
        status_change(candidate, CandidateStatus.REJECTED, message="不符合报考条件。")

    # The province by its code, the events.
    with django_assert_num_queries(2):
        response = signed_get(client, {"province": site.province.code})

    assert len(response.json()["results"]) == 2 * count


def test_results_follow_the_decisions_of_the_review_services(client):
    """The same flow through review.services (not hand-made rows): what the registration
    system reads after a return, a resubmission, a pass, an approval and a refusal."""
    from materials.enums import ImageStatus
    from review import services
    from tests.factories.accounts import province_reviewer, site_reviewer
    from tests.factories.review import candidate_with_photos

    candidate, [category], [first, second] = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, photos=2
    )
    site_user = site_reviewer(candidate.site)
    province_user = province_reviewer(candidate.province)
    services.image_approve(image=first, by=site_user)
    services.image_return(image=second, by=site_user, reason="图片不清晰", text="")
    services.candidate_return(candidate=candidate, by=site_user, message="请重新上传。")
    # The candidate replaces the photo (as materials.services.image_upload does) and resubmits.
    second.removed_at = timezone.now()
    second.save(update_fields=["removed_at"])
    from tests.factories.materials import MaterialImageFactory

    MaterialImageFactory(
        candidate=candidate, category=category, status=ImageStatus.PENDING, replaces=second
    )
    services.candidate_resubmit(candidate=candidate)
    for image in candidate.images.filter(removed_at__isnull=True, status=ImageStatus.PENDING):
        services.image_approve(image=image, by=site_user)
    services.candidate_site_pass(candidate=candidate, by=site_user)
    services.candidate_approve(candidate=candidate, by=province_user)
    other, _cats, _imgs = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, site=candidate.site
    )
    services.candidate_reject(candidate=other, by=site_user, reason="不符合报考条件。")

    rows = signed_get(client).json()["results"]

    assert [(r["reg_no"], r["status"]) for r in rows] == [
        (candidate.reg_no, "returned"),
        (candidate.reg_no, "submitted"),
        (candidate.reg_no, "site_passed"),
        (candidate.reg_no, "approved"),
        (other.reg_no, "rejected"),
    ]
    assert rows[0]["reasons"] == [f"{category.name}：图片不清晰"]
    assert rows[0]["message"] == "请重新上传。"
    assert rows[4]["reasons"] == []
    assert rows[4]["message"] == "不符合报考条件。"
