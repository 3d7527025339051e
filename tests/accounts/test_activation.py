import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Candidate, PhoneVerification
from accounts.selectors import CODE_MAX_ATTEMPTS, CODES_PER_HOUR
from notifications.models import Notification
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory

# Real commits: the SMS is sent on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fresh(client):
    """A candidate who just came in for the first time, signed in on `client`."""
    candidate = CandidateFactory(activated=False)
    assert client.get(client.get(candidate_entry_url(candidate)).url).url == "/activate/"
    return candidate


def _code(outbox) -> str:
    return re.search(r"\d{6}", outbox[-1].text).group(0)


def _to_phone_step(client):
    client.post("/activate/confirm/")
    client.post("/activate/consent/", {"agree": "on"})


def test_activation_steps_in_order_end_on_material_page(client, fresh, sms_outbox):
    page = client.get("/activate/confirm/")
    body = page.content.decode()
    assert "第 1 步，共 4 步" in body
    assert fresh.masked_id_no in body
    assert fresh.id_no not in body

    assert client.post("/activate/confirm/").url == "/activate/"
    assert client.get("/activate/").url == "/activate/consent/"
    consent = client.get("/activate/consent/").content.decode()
    assert "个人信息保护法" in consent

    assert client.post("/activate/consent/", {"agree": "on"}).url == "/activate/"
    assert client.get("/activate/").url == "/activate/phone/"

    assert (
        client.post("/activate/phone/", {"action": "send", "phone": "13812345678"}).status_code
        == 302
    )
    assert sms_outbox[-1].recipient == "13812345678"
    phone_page = client.get("/activate/phone/").content.decode()
    assert "验证码已发送至 138****5678" in phone_page
    assert "前有效（剩余约 5 分钟）" in phone_page
    assert f"还可尝试 {CODE_MAX_ATTEMPTS} 次" in phone_page

    response = client.post("/activate/phone/", {"action": "verify", "code": _code(sms_outbox)})
    assert response.url == "/activate/"
    assert client.get("/activate/").url == "/activate/address/"

    response = client.post("/activate/address/", {"address": "山东省济南市历下区经十路1号"})
    assert response.status_code == 302
    assert response.url == "/materials/"
    fresh.refresh_from_db()
    assert fresh.phone == "13812345678"
    assert fresh.phone_verified_at is not None
    assert fresh.address == "山东省济南市历下区经十路1号"
    assert fresh.consent_at is not None
    assert fresh.activated_at is not None
    # Activated: the steps send the candidate on to the material page.
    assert client.get("/activate/confirm/").url == "/materials/"


def test_activation_code_is_sent_as_notification_and_stored_hashed(client, fresh, sms_outbox):
    _to_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    code = _code(sms_outbox)
    notification = Notification.objects.get(candidate=fresh)
    assert notification.purpose == "code"
    verification = PhoneVerification.objects.get(candidate=fresh)
    assert code not in verification.code_hash
    assert verification.expires_at - verification.created_at == timedelta(minutes=5)


def test_activation_demo_banner_shows_code(client, fresh, sms_outbox):
    _to_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    body = client.get("/activate/phone/").content.decode()
    assert f'<strong id="demo-sms-code">{_code(sms_outbox)}</strong>' in body
    assert "演示环境：短信验证码" in body


def test_activation_demo_banner_hidden_outside_demo(client, fresh, sms_outbox, settings):
    _to_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    settings.YISHEN_DEMO = False
    body = client.get("/activate/phone/").content.decode()
    assert _code(sms_outbox) not in body


def test_activation_consent_required(client, fresh):
    client.post("/activate/confirm/")
    response = client.post("/activate/consent/", {})
    assert response.status_code == 200
    assert "请勾选同意后继续。" in response.content.decode()
    fresh.refresh_from_db()
    assert fresh.consent_at is None


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "abcdefghijk"])
def test_activation_invalid_mobile_refused(client, fresh, sms_outbox, phone):
    _to_phone_step(client)
    response = client.post("/activate/phone/", {"action": "send", "phone": phone})
    assert response.status_code == 400
    assert response.content.decode().count("请输入正确的11位手机号码。") == 1
    assert sms_outbox == []


def test_activation_skipping_steps_by_url_refused(client, fresh):
    response = client.get("/activate/address/")
    assert response.url == "/activate/confirm/"
    response = client.post("/activate/address/", {"address": "山东省济南市历下区经十路1号"})
    assert response.url == "/activate/confirm/"
    response = client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    assert response.url == "/activate/confirm/"
    fresh.refresh_from_db()
    assert fresh.address == ""
    assert fresh.activated_at is None
    assert PhoneVerification.objects.count() == 0
    assert "请按顺序完成激活步骤。" in client.get("/activate/confirm/").content.decode()


def test_activation_material_page_needs_activation(client, fresh):
    # candidate_required sends a not-yet-activated candidate back to activation.
    from django.test import RequestFactory

    from accounts.auth import candidate_required

    request = RequestFactory().get("/materials/")
    request.session = client.session
    response = candidate_required(lambda r: None)(request)
    assert response.url == "/activate/"


def test_activation_without_session_goes_to_entry_needed(client):
    response = client.get("/activate/confirm/")
    assert response.url == "/entry/needed/"
    page = client.get("/entry/needed/").content.decode()
    assert "上传相关材料" in page


def test_activation_wrong_code_counts_attempts(client, fresh, sms_outbox):
    _to_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    right = _code(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    response = client.post("/activate/phone/", {"action": "verify", "code": wrong})
    assert response.status_code == 400
    assert f"验证码不正确，还可以尝试 {CODE_MAX_ATTEMPTS - 1} 次。" in response.content.decode()
    assert PhoneVerification.objects.get().attempts == 1


def test_activation_wrong_code_attempts_exhausted(client, fresh, sms_outbox):
    _to_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    right = _code(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(CODE_MAX_ATTEMPTS):
        response = client.post("/activate/phone/", {"action": "verify", "code": wrong})
    assert "验证码错误次数过多，已失效，请重新获取验证码。" in response.content.decode()
    # Even the right code no longer works.
    response = client.post("/activate/phone/", {"action": "verify", "code": right})
    assert response.status_code == 400
    fresh.refresh_from_db()
    assert fresh.phone_verified_at is None


def test_activation_expired_code_refused(client, fresh, sms_outbox):
    _to_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    PhoneVerification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/activate/phone/", {"action": "verify", "code": _code(sms_outbox)})
    assert response.status_code == 400
    assert "验证码已过期，请重新获取。" in response.content.decode()
    fresh.refresh_from_db()
    assert fresh.phone_verified_at is None


def test_activation_resend_cooldown(client, fresh, sms_outbox):
    _to_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    response = client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    assert response.status_code == 400
    assert "验证码发送过于频繁" in response.content.decode()
    assert len(sms_outbox) == 1
    page = client.get("/activate/phone/").content.decode()
    assert "秒后可重新获取" in page
    # After the cool-down a new code may be sent, and only the newest counts (a minute
    # later for the codes and for the messages: the per-phone SMS limit lets it go too).
    PhoneVerification.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    Notification.objects.update(sent_at=timezone.now() - timedelta(seconds=61))
    old = _code(sms_outbox)
    assert (
        client.post("/activate/phone/", {"action": "send", "phone": "13812345678"}).status_code
        == 302
    )
    assert len(sms_outbox) == 2
    new = _code(sms_outbox)
    if old != new:
        response = client.post("/activate/phone/", {"action": "verify", "code": old})
        assert response.status_code == 400


def test_activation_hourly_cap(client, fresh, sms_outbox):
    _to_phone_step(client)
    for _ in range(CODES_PER_HOUR):
        client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
        PhoneVerification.objects.update(created_at=timezone.now() - timedelta(minutes=2))
        Notification.objects.update(sent_at=timezone.now() - timedelta(minutes=2))
    assert len(sms_outbox) == CODES_PER_HOUR
    response = client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    assert response.status_code == 400
    assert f"一小时内最多获取 {CODES_PER_HOUR} 次验证码" in response.content.decode()
    assert len(sms_outbox) == CODES_PER_HOUR
    assert "本小时还可获取 0 次" in client.get("/activate/phone/").content.decode()


def test_activation_hourly_cap_per_phone_across_candidates(client, sms_outbox):
    for _ in range(CODES_PER_HOUR):
        other = CandidateFactory(
            activated=False, registration_confirmed_at=timezone.now(), consent_at=timezone.now()
        )
        PhoneVerification.objects.create(
            candidate=other, phone="13812345678", code_hash="x", expires_at=timezone.now()
        )
    candidate = CandidateFactory(activated=False)
    client.get(candidate_entry_url(candidate))
    _to_phone_step(client)
    response = client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    assert response.status_code == 400
    assert sms_outbox == []


def test_activation_code_of_another_candidate_useless(client, fresh, sms_outbox):
    other = CandidateFactory(
        activated=False, registration_confirmed_at=timezone.now(), consent_at=timezone.now()
    )
    from accounts.services import phone_code_send

    phone_code_send(candidate=other, phone="13912340000")
    _to_phone_step(client)
    response = client.post("/activate/phone/", {"action": "verify", "code": _code(sms_outbox)})
    assert response.status_code == 400
    assert "请先获取验证码。" in response.content.decode()


def test_activation_address_required(client, sms_outbox):
    candidate = CandidateFactory(
        activated=False,
        registration_confirmed_at=timezone.now(),
        consent_at=timezone.now(),
        phone="13812345678",
        phone_verified_at=timezone.now(),
    )
    client.get(candidate_entry_url(candidate))
    response = client.post("/activate/address/", {"address": "  "})
    assert response.status_code == 400
    assert "请填写联系地址。" in response.content.decode()
    assert Candidate.objects.get(pk=candidate.pk).activated_at is None


def test_activation_pages_work_without_javascript(client, fresh):
    # Every step is a plain form post; the script only adds the countdown.
    _to_phone_step(client)
    body = client.get("/activate/phone/").content.decode()
    assert 'name="action" value="send"' in body
    assert "<script" not in body.replace(
        '<script src="/static/accounts/phone.js" defer></script>', ""
    )


def test_activation_demo_banner_hides_used_code(client, fresh, sms_outbox):
    _to_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    code = _code(sms_outbox)
    client.post("/activate/phone/", {"action": "verify", "code": code})
    assert code not in client.get("/activate/address/").content.decode()
