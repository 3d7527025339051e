import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import PhoneVerification
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def candidate(client):
    candidate = CandidateFactory(phone="13912345678")
    client.get(candidate_entry_url(candidate))
    return candidate


def _code(outbox) -> str:
    return re.search(r"\d{6}", outbox[-1].text).group(0)


def test_profile_shows_masked_data(client, candidate):
    body = client.get("/profile/").content.decode()
    assert "139****5678" in body
    assert candidate.masked_id_no in body
    assert candidate.id_no not in body
    assert candidate.address in body


def test_profile_needs_session(client):
    client.post("/logout/")
    assert client.get("/profile/").url == "/entry/needed/"


def test_profile_phone_change_requires_new_code(client, candidate, sms_outbox):
    response = client.post("/profile/phone/", {"action": "send", "phone": "13700001111"})
    assert response.url == "/profile/"
    assert sms_outbox[-1].recipient == "13700001111"
    candidate.refresh_from_db()
    assert candidate.phone == "13912345678"  # unchanged until the code is confirmed
    wrong = "000000" if _code(sms_outbox) != "000000" else "111111"
    response = client.post("/profile/phone/", {"action": "verify", "code": wrong})
    assert response.status_code == 400
    candidate.refresh_from_db()
    assert candidate.phone == "13912345678"
    response = client.post("/profile/phone/", {"action": "verify", "code": _code(sms_outbox)})
    assert response.url == "/materials/"
    candidate.refresh_from_db()
    assert candidate.phone == "13700001111"


def test_profile_phone_same_number_refused(client, candidate, sms_outbox):
    response = client.post("/profile/phone/", {"action": "send", "phone": "13912345678"})
    assert response.status_code == 400
    assert "新手机号码与当前号码相同。" in response.content.decode()
    assert sms_outbox == []


def test_profile_phone_code_expired(client, candidate, sms_outbox):
    client.post("/profile/phone/", {"action": "send", "phone": "13700001111"})
    PhoneVerification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/profile/phone/", {"action": "verify", "code": _code(sms_outbox)})
    assert response.status_code == 400
    candidate.refresh_from_db()
    assert candidate.phone == "13912345678"


def test_profile_address_change(client, candidate):
    response = client.post("/profile/address/", {"address": "天津市河西区友谊路2号"})
    assert response.url == "/materials/"
    candidate.refresh_from_db()
    assert candidate.address == "天津市河西区友谊路2号"


def test_profile_address_too_short_refused(client, candidate):
    response = client.post("/profile/address/", {"address": "天津"})
    assert response.status_code == 400
    assert "请填写完整的联系地址。" in response.content.decode()


def test_profile_not_activated_goes_to_activation(client):
    fresh = CandidateFactory(activated=False)
    client.get(candidate_entry_url(fresh))
    assert client.get("/profile/").url == "/activate/"
