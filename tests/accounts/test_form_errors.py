"""A refused candidate's form opens on the field to correct: focused on load (autofocus), marked
aria-invalid and described by its error, whether the form or the service refused it."""

import re

import pytest
from django.utils import timezone

from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _field(body: str, field_id: str) -> str:
    return re.search(rf'<input[^>]*id="{field_id}"[^>]*>', body).group(0)


def _at_phone_step(client):
    now = timezone.now()
    candidate = CandidateFactory(activated=False, registration_confirmed_at=now, consent_at=now)
    client.get(candidate_entry_url(candidate))
    return candidate


def test_phone_step_refused_number_is_focused_and_described_by_its_error(client):
    _at_phone_step(client)
    response = client.post("/activate/phone/", {"action": "send", "phone": "1381234"})
    assert response.status_code == 400
    body = response.content.decode()
    phone = _field(body, "id_phone")
    assert "autofocus" in phone
    assert 'aria-invalid="true"' in phone
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in phone
    assert 'id="id_phone_helptext"' in body
    assert re.search(r'<ul class="errorlist" id="id_phone_error"><li>[^<]+</li></ul>', body)
    # Only the field in error is focused.
    assert body.count("autofocus") == 1


def test_phone_step_without_error_focuses_nothing(client):
    _at_phone_step(client)
    body = client.get("/activate/phone/").content.decode()
    assert "autofocus" not in body
    assert "aria-invalid" not in body


def test_phone_step_service_refusal_stands_on_the_number(client, sms_outbox):
    _at_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    # At once again: the resend wait, said at the number and focused there.
    response = client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    assert response.status_code == 400
    phone = _field(response.content.decode(), "id_phone")
    assert "autofocus" in phone and 'aria-invalid="true"' in phone


def test_phone_step_wrong_code_is_focused(client, sms_outbox):
    _at_phone_step(client)
    client.post("/activate/phone/", {"action": "send", "phone": "13812345678"})
    code = re.search(r"\d{6}", sms_outbox[-1].text).group(0)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/activate/phone/", {"action": "verify", "code": wrong})
    assert response.status_code == 400
    body = response.content.decode()
    field = _field(body, "id_code")
    assert "autofocus" in field
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_code_error"' in field
    assert 'id="id_code_error"' in body
    assert "autofocus" not in _field(body, "id_phone")


def test_consent_not_ticked_focuses_the_box(client):
    candidate = CandidateFactory(activated=False, registration_confirmed_at=timezone.now())
    client.get(candidate_entry_url(candidate))
    body = client.post("/activate/consent/", {}).content.decode()
    box = _field(body, "id_agree")
    assert "autofocus" in box and 'aria-invalid="true"' in box
    assert 'aria-describedby="id_agree_error"' in box
    assert 'id="id_agree_error"' in body


def test_profile_empty_address_is_focused_and_described(client):
    candidate = CandidateFactory()
    client.get(candidate_entry_url(candidate))
    response = client.post("/profile/address/", {"address": ""})
    assert response.status_code == 400
    body = response.content.decode()
    field = _field(body, "id_address")
    assert "autofocus" in field
    assert 'aria-describedby="id_address_helptext id_address_error"' in field
    assert 'id="id_address_helptext"' in body
    assert "请填写联系地址。" in body
    # The phone form on the same page is not focused.
    assert "autofocus" not in _field(body, "id_phone")
