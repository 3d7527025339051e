"""Continue on the phone: the single-use QR link that logs a phone in as the candidate."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.auth import SESSION_KEY
from accounts.enums import CandidateEventAction, CandidateStatus
from accounts.models import CandidateEvent, HandoffToken
from accounts.services import HandoffRefusal, handoff_consume, handoff_create
from accounts.services.handoff import handoff_token_hash
from materials.models import MaterialCategory
from tests.accounts.helpers import candidate_entry_url
from tests.concurrency import run_at_once, skip_unless_postgres
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def candidate(client):
    """The candidate, logged in on the desktop (`client`) through the registration system."""
    candidate = CandidateFactory()
    client.get(candidate_entry_url(candidate))
    return candidate


def _new_link(client) -> tuple[str, int]:
    """The desktop asks for a QR code: the link it shows and the status poll's id."""
    body = client.post("/handoff/", HTTP_X_YISHEN_FRAGMENT="1").content.decode()
    url = re.search(r'data-handoff-url="([^"]+)"', body).group(1)
    pk = int(re.search(r"/handoff/(\d+)/status/", body).group(1))
    return url, pk


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_desktop_shows_qr_svg_and_text_link(client, candidate):
    body = client.post("/handoff/", HTTP_X_YISHEN_FRAGMENT="1").content.decode()
    assert "<svg" in body
    url = re.search(r'data-handoff-url="([^"]+)"', body).group(1)
    assert re.fullmatch(r"http://testserver/m/[A-Za-z0-9_-]{43}/", url)
    assert f'href="{url}"' in body
    assert "10 分钟内有效，只能使用一次" in body


def test_material_page_offers_the_qr_code(client, candidate):
    MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    body = client.get("/materials/").content.decode()
    assert "在手机上继续" in body
    assert 'action="/handoff/"' in body


def test_handoff_needs_a_logged_in_candidate(client):
    response = client.post("/handoff/")
    assert response.status_code == 302
    assert response.url == "/entry/needed/"
    assert HandoffToken.objects.count() == 0


def test_handoff_refuses_get(client, candidate):
    assert client.get("/handoff/").status_code == 405
    assert HandoffToken.objects.count() == 0


def test_token_stored_only_as_hash(client, candidate):
    url, pk = _new_link(client)
    raw = _path(url).split("/")[2]
    token = HandoffToken.objects.get(pk=pk)
    assert token.token_hash == handoff_token_hash(raw)
    assert raw not in token.token_hash
    assert not HandoffToken.objects.filter(token_hash=raw).exists()


def test_phone_opens_link_logged_in_as_same_candidate(client, candidate):
    url, pk = _new_link(client)
    phone = Client()
    response = phone.get(_path(url))
    assert response.status_code == 302
    assert response.url == "/materials/"
    assert phone.session[SESSION_KEY] == candidate.pk
    page = phone.get("/materials/").content.decode()
    assert candidate.name in page
    assert "已在本机登录" in page


def test_phone_login_rotates_the_session_key(client, candidate):
    url, _pk = _new_link(client)
    phone = Client()
    phone.get("/")
    phone.session.save()
    before = phone.session.session_key
    phone.get(_path(url))
    assert phone.session.session_key != before


def test_desktop_poll_shows_used_after_phone_opens(client, candidate):
    url, pk = _new_link(client)
    assert client.get(f"/handoff/{pk}/status/").json()["state"] == "pending"
    Client().get(_path(url))
    data = client.get(f"/handoff/{pk}/status/").json()
    assert data["state"] == "used"
    assert data["text"] == "已在手机上打开。此二维码已失效；如需再次使用，请重新生成。"


def test_second_use_refused_with_next_step(client, candidate):
    url, _pk = _new_link(client)
    Client().get(_path(url))
    second = Client()
    response = second.get(_path(url))
    assert response.status_code == 410
    body = response.content.decode()
    assert "此二维码链接已经使用过。" in body
    assert "点击「上传相关材料」登录" in body
    assert SESSION_KEY not in second.session


def test_expired_link_refused_with_next_step(client, candidate):
    url, pk = _new_link(client)
    HandoffToken.objects.filter(pk=pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    phone = Client()
    response = phone.get(_path(url))
    assert response.status_code == 410
    body = response.content.decode()
    assert "此二维码链接已失效。" in body
    assert "重新生成二维码" in body
    assert SESSION_KEY not in phone.session
    assert client.get(f"/handoff/{pk}/status/").json()["state"] == "expired"


def test_link_lives_ten_minutes(candidate):
    now = timezone.now()
    token, raw = handoff_create(candidate=candidate, now=now)
    assert token.expires_at == now + timedelta(minutes=10)
    with pytest.raises(ValidationError) as refused:
        handoff_consume(raw=raw, now=now + timedelta(minutes=10))
    assert refused.value.code == HandoffRefusal.EXPIRED
    assert handoff_consume(raw=raw, now=now + timedelta(minutes=9, seconds=59)) == candidate


def test_new_code_voids_the_earlier_unused_one(candidate):
    _first, first_raw = handoff_create(candidate=candidate)
    _second, second_raw = handoff_create(candidate=candidate)
    with pytest.raises(ValidationError) as refused:
        handoff_consume(raw=first_raw)
    assert refused.value.code == HandoffRefusal.EXPIRED
    assert handoff_consume(raw=second_raw) == candidate


@pytest.mark.parametrize("raw", ["", "x", "a" * 43, "a" * 500])
def test_unknown_or_garbled_link_refused(client, raw):
    if raw:
        response = client.get(f"/m/{raw}/")
        assert response.status_code == 404
        assert "二维码链接无效。" in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        handoff_consume(raw=raw)
    assert refused.value.code == HandoffRefusal.INVALID


def test_link_of_one_candidate_never_opens_another(client, candidate):
    other = CandidateFactory()
    url, pk = _new_link(client)
    phone = Client()
    phone.get(candidate_entry_url(other))
    assert phone.session[SESSION_KEY] == other.pk
    phone.get(_path(url))
    # The link opens only the candidate who made it, whoever held the phone before.
    assert phone.session[SESSION_KEY] == candidate.pk
    assert other.name not in phone.get("/materials/").content.decode()


def test_status_of_another_candidates_link_is_not_found(client, candidate):
    _url, pk = _new_link(client)
    other_desktop = Client()
    other_desktop.get(candidate_entry_url(CandidateFactory()))
    assert other_desktop.get(f"/handoff/{pk}/status/").status_code == 404
    assert Client().get(f"/handoff/{pk}/status/").status_code == 302


def test_handoff_is_audited_as_candidate_events(client, candidate):
    url, pk = _new_link(client)
    Client().get(_path(url))
    Client().get(_path(url))
    actions = list(
        CandidateEvent.objects.filter(candidate=candidate, action__startswith="handoff")
        .order_by("id")
        .values_list("action", "data")
    )
    assert actions == [
        (CandidateEventAction.HANDOFF_CREATED, {"handoff": pk}),
        (CandidateEventAction.HANDOFF_USED, {"handoff": pk}),
        (CandidateEventAction.HANDOFF_REFUSED, {"handoff": pk, "reason": "used"}),
    ]


def test_two_phones_racing_one_wins(candidate):
    skip_unless_postgres()
    _token, raw = handoff_create(candidate=candidate)
    outcomes = run_at_once(
        [lambda: handoff_consume(raw=raw) for _ in range(4)], refusal=lambda e: e.code
    )
    assert sorted(outcomes) == ["ok", "used", "used", "used"]


def test_consume_claims_only_once_in_sequence(candidate):
    """What the race relies on, without threads: the conditional UPDATE lets one through."""
    _token, raw = handoff_create(candidate=candidate)
    assert handoff_consume(raw=raw) == candidate
    with pytest.raises(ValidationError) as refused:
        handoff_consume(raw=raw)
    assert refused.value.code == HandoffRefusal.USED


def test_the_phone_that_opened_the_link_reloads_it_into_the_material_page(client, candidate):
    url, _pk = _new_link(client)
    phone = Client()
    phone.get(_path(url))
    response = phone.get(_path(url))
    assert response.status_code == 302
    assert response.url == "/materials/"
    assert phone.get("/materials/").status_code == 200


def test_a_used_link_is_still_refused_to_a_phone_logged_in_as_another_candidate(client, candidate):
    url, _pk = _new_link(client)
    Client().get(_path(url))
    other = Client()
    other.get(candidate_entry_url(CandidateFactory()))
    response = other.get(_path(url))
    assert response.status_code == 410
    assert "此二维码链接已经使用过。" in response.content.decode()


def test_material_page_does_not_offer_the_phone_when_nothing_can_be_uploaded(client, candidate):
    MaterialCategory.objects.filter(province=candidate.province).delete()
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, max_count=1
    )
    assert "在手机上继续" in client.get("/materials/").content.decode()
    MaterialImageFactory(candidate=candidate, category=category)
    # Submitted: everything is locked, nothing more to photograph.
    candidate.status = CandidateStatus.SUBMITTED
    candidate.submitted_at = timezone.now()
    candidate.save()
    body = client.get("/materials/").content.decode()
    assert "在手机上继续" not in body and 'action="/handoff/"' not in body
