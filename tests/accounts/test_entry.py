import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings

from accounts.entry import (
    EntryTokenError,
    b64u_decode,
    b64u_encode,
    sign_entry_token,
    verify_entry_token,
)
from accounts.enums import CandidateEventAction
from accounts.models import Candidate, CandidateEvent, EntryNonce, ExamYear
from tests.accounts.helpers import candidate_entry_url, entry_payload, entry_url
from tests.factories.accounts import (
    CandidateFactory,
    ExamCategoryFactory,
    ProvinceFactory,
    TestSiteFactory,
)

pytestmark = pytest.mark.django_db

GO_BACK = "请返回报名系统，重新点击「上传相关材料」按钮进入。"


@pytest.fixture
def org():
    province = ProvinceFactory(code="37", name="山东")
    site = TestSiteFactory(province=province, code="3701", name="济南")
    category = ExamCategoryFactory(code="110")
    return province, site, category


@pytest.fixture
def payload(org):
    province, site, category = org
    return entry_payload(province=province, site=site, category=category)


def _assert_refused(response, caplog, *, status, reason, text=GO_BACK):
    assert response.status_code == status
    body = response.content.decode()
    assert text in body
    assert f"entry refused: {reason}" in caplog.text


def test_entry_first_valid_creates_candidate_and_goes_to_activation(client, payload):
    response = client.get(entry_url(payload))
    assert response.status_code == 302
    # Through the material page, which sends a candidate who has not activated on (the
    # upload window is open).
    assert response.url == "/materials/"
    assert client.get(response.url).url == "/activate/"
    candidate = Candidate.objects.get(reg_no=payload["reg_no"])
    assert candidate.exam_year == ExamYear.objects.get(year=2026)
    assert (candidate.name, candidate.id_no, candidate.site.code, candidate.category.code) == (
        "张三",
        "370102199001011234",
        "3701",
        "110",
    )
    assert candidate.tags == ["应届毕业生"]
    assert candidate.activated_at is None
    assert client.session["yishen_candidate_id"] == candidate.pk
    assert CandidateEvent.objects.filter(
        candidate=candidate, action=CandidateEventAction.ENTRY_FIRST
    ).exists()
    # Activation begins at step 1.
    assert client.get("/activate/").url == "/activate/confirm/"


def test_entry_creates_exam_year_when_missing(client, payload):
    payload["year"] = 2027
    client.get(entry_url(payload))
    assert Candidate.objects.get(reg_no=payload["reg_no"]).exam_year.year == 2027


def test_entry_later_activated_goes_to_material_page(client):
    candidate = CandidateFactory()
    response = client.get(candidate_entry_url(candidate))
    assert response.status_code == 302
    assert response.url == "/materials/"
    candidate.refresh_from_db()
    assert candidate.last_entry_at is not None
    assert candidate.registration_changes == []


def test_entry_tampered_payload_refused(client, payload, caplog):
    token = sign_entry_token(payload, "test-entry-secret")
    body, signature = token.split(".")
    forged = json.loads(b64u_decode(body))
    forged["category"] = "120"
    forged_body = b64u_encode(json.dumps(forged).encode())
    response = client.get(f"/entry/?t={forged_body}.{signature}")
    _assert_refused(response, caplog, status=403, reason="bad_signature")
    assert Candidate.objects.count() == 0


def test_entry_tampered_signature_refused(client, payload, caplog):
    token = sign_entry_token(payload, "test-entry-secret")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    response = client.get(f"/entry/?t={flipped}")
    _assert_refused(response, caplog, status=403, reason="bad_signature")
    assert Candidate.objects.count() == 0


def test_entry_wrong_secret_refused(client, payload, caplog):
    response = client.get(entry_url(payload, secret="another-secret"))
    _assert_refused(response, caplog, status=403, reason="bad_signature")
    assert Candidate.objects.count() == 0
    assert EntryNonce.objects.count() == 0


def test_entry_expired_refused(client, payload, caplog):
    payload["iat"] = int(time.time()) - 601
    response = client.get(entry_url(payload))
    _assert_refused(response, caplog, status=403, reason="expired")
    assert "链接已过期" in response.content.decode()
    assert Candidate.objects.count() == 0


def test_entry_just_within_lifetime_accepted(client, payload):
    payload["iat"] = int(time.time()) - 590
    assert client.get(entry_url(payload)).status_code == 302


def test_entry_iat_slightly_ahead_accepted(client, payload):
    payload["iat"] = int(time.time()) + 30
    assert client.get(entry_url(payload)).status_code == 302


def test_entry_iat_far_future_refused(client, payload, caplog):
    payload["iat"] = int(time.time()) + 3600
    response = client.get(entry_url(payload))
    _assert_refused(response, caplog, status=403, reason="not_yet_valid")
    assert Candidate.objects.count() == 0


def test_entry_signed_by_a_clock_ten_minutes_ahead_says_not_yet_valid_not_altered(
    client, payload, caplog
):
    payload["iat"] = int(time.time()) + 600
    response = client.get(entry_url(payload))
    _assert_refused(response, caplog, status=403, reason="not_yet_valid")
    body = response.content.decode()
    assert "<h1>链接尚未生效</h1>" in body
    assert "可能是报名系统与本系统的时钟不一致" in body and "请稍等几分钟再试" in body
    assert "已被改动" not in body and "链接无效" not in body
    assert EntryNonce.objects.count() == 0  # the same link works once the clocks agree


def test_entry_not_yet_valid_in_english(client, payload, caplog):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    payload["iat"] = int(time.time()) + 600
    body = client.get(entry_url(payload)).content.decode()
    assert "<h1>The link is not valid yet</h1>" in body
    assert "the clocks of the registration system and of this system probably differ" in body
    assert "altered" not in body


def test_entry_tampered_page_still_says_altered(client, payload):
    token = sign_entry_token(payload, "test-entry-secret")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    body = client.get(f"/entry/?t={flipped}").content.decode()
    assert "<h1>链接无效</h1>" in body and "该链接不完整或已被改动，无法进入。" in body


def test_entry_replayed_nonce_refused_and_changes_nothing(client, payload, caplog):
    url = entry_url(payload)
    assert client.get(url).status_code == 302
    candidate = Candidate.objects.get()
    before = (candidate.updated_at, candidate.last_entry_at)
    other = type(client)()
    response = other.get(url)
    _assert_refused(response, caplog, status=409, reason="replayed")
    assert "链接已使用过" in response.content.decode()
    candidate.refresh_from_db()
    assert (candidate.updated_at, candidate.last_entry_at) == before
    assert "yishen_candidate_id" not in other.session


def test_entry_replayed_nonce_with_changed_data_changes_nothing(client, payload, caplog):
    client.get(entry_url(payload))
    # Same nonce, new data, validly signed: still a replay.
    payload["name"] = "李四"
    response = client.get(entry_url(payload))
    assert response.status_code == 409
    assert Candidate.objects.get().name == "张三"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b.c",
        "!!!.???",
        ".",
        "eyJhIjoxfQ.",
    ],
)
def test_entry_malformed_token_refused(client, caplog, token):
    response = client.get(f"/entry/?t={token}")
    assert response.status_code in {400, 403}
    assert GO_BACK in response.content.decode()
    assert "entry refused:" in caplog.text
    assert Candidate.objects.count() == 0


def test_entry_no_token_refused(client, caplog):
    response = client.get("/entry/")
    _assert_refused(response, caplog, status=400, reason="malformed")


def _signed_raw(body_bytes: bytes) -> str:
    """Validly signed bytes that are not a valid payload."""
    body = b64u_encode(body_bytes)
    sig = hmac.new(settings.YISHEN_ENTRY_SECRET.encode(), body.encode(), hashlib.sha256).digest()
    return f"/entry/?t={body}.{b64u_encode(sig)}"


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"text"',
    ],
)
def test_entry_signed_but_not_json_object_refused(client, caplog, raw):
    response = client.get(_signed_raw(raw))
    _assert_refused(response, caplog, status=400, reason="malformed")
    assert Candidate.objects.count() == 0


@pytest.mark.parametrize(
    "field",
    [
        "reg_no",
        "year",
        "name",
        "id_type",
        "id_no",
        "province",
        "site",
        "category",
        "tags",
        "iat",
        "nonce",
    ],
)
def test_entry_missing_field_refused(client, payload, caplog, field):
    del payload[field]
    response = client.get(entry_url(payload))
    _assert_refused(response, caplog, status=400, reason="malformed")
    assert Candidate.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("year", "2026"),
        ("iat", "1700000000"),
        ("iat", True),
        ("id_type", "driving_licence"),
        ("tags", "应届毕业生"),
        ("tags", [1]),
        ("nonce", "short"),
        ("province", "370"),
        ("site", "37"),
        ("name", "   "),
    ],
)
def test_entry_bad_field_value_refused(client, payload, caplog, field, value):
    payload[field] = value
    response = client.get(entry_url(payload))
    _assert_refused(response, caplog, status=400, reason="malformed")
    assert Candidate.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("province", "99", "unknown_province"),
        ("site", "3799", "unknown_site"),
        ("category", "999", "unknown_category"),
    ],
)
def test_entry_unknown_code_refused(client, payload, caplog, field, value, reason):
    payload[field] = value
    response = client.get(entry_url(payload))
    _assert_refused(response, caplog, status=400, reason=reason)
    assert "暂时无法识别" in response.content.decode()
    assert Candidate.objects.count() == 0


def test_entry_site_of_other_province_refused(client, payload, caplog):
    other = TestSiteFactory(province=ProvinceFactory(code="12"), code="1201")
    payload["site"] = other.code
    response = client.get(entry_url(payload))
    _assert_refused(response, caplog, status=400, reason="unknown_site")


def test_entry_province_disabled_refused(client, org, payload, caplog):
    province = org[0]
    province.entry_enabled = False
    province.save()
    response = client.get(entry_url(payload))
    assert response.status_code == 403
    assert "本考区尚未开放在线审核" in response.content.decode()
    assert "entry refused: entry_disabled" in caplog.text
    assert Candidate.objects.count() == 0


def test_entry_province_disabled_existing_candidate_unchanged(client, caplog):
    candidate = CandidateFactory()
    entered_at = candidate.last_entry_at
    candidate.province.entry_enabled = False
    candidate.province.save()
    response = client.get(candidate_entry_url(candidate, name="新名字"))
    assert response.status_code == 403
    candidate.refresh_from_db()
    assert candidate.name != "新名字"
    assert candidate.last_entry_at == entered_at


def test_entry_refusal_never_logs_the_token(client, payload, caplog):
    payload["iat"] = int(time.time()) - 10_000
    url = entry_url(payload)
    client.get(url)
    token = url.split("t=", 1)[1]
    assert token not in caplog.text
    assert payload["id_no"] not in caplog.text


def test_verify_entry_token_roundtrip(payload):
    token = sign_entry_token(payload, "s3cret")
    assert verify_entry_token(token, secret="s3cret") == payload


def test_verify_entry_token_expiry_uses_now(payload):
    token = sign_entry_token(payload, "s3cret")
    with pytest.raises(EntryTokenError) as info:
        verify_entry_token(token, secret="s3cret", now=payload["iat"] + 601)
    assert info.value.code == "expired"


def test_verify_entry_token_any_key_order_and_spacing(payload):
    """The signature covers the b64u of whatever bytes were sent."""
    raw = json.dumps(dict(reversed(list(payload.items()))), indent=2, ensure_ascii=True).encode()
    body = b64u_encode(raw)
    sig = b64u_encode(hmac.new(b"k", body.encode(), hashlib.sha256).digest())
    assert verify_entry_token(f"{body}.{sig}", secret="k") == payload


def test_verify_entry_token_padding_refused(payload):
    token = sign_entry_token(payload, "k")
    body, sig = token.split(".")
    with pytest.raises(EntryTokenError):
        verify_entry_token(f"{body}.{sig}=", secret="k")


def test_entry_nonces_purge_keeps_recent(client, payload):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.tasks import entry_nonces_purge

    client.get(entry_url(payload))
    EntryNonce.objects.create(nonce="old-nonce-0000000000")
    EntryNonce.objects.filter(nonce="old-nonce-0000000000").update(
        used_at=timezone.now() - timedelta(hours=1)
    )
    assert entry_nonces_purge.apply().get() == 1
    assert list(EntryNonce.objects.values_list("nonce", flat=True)) == [payload["nonce"]]
    # The remaining nonce still blocks a replay.
    assert client.get(entry_url(payload)).status_code == 409
