"""Races on the entry and the phone code. Real row locks and unique indexes under
concurrency need PostgreSQL, so these run there only (CI)."""

import pytest

from accounts.entry import claims_from_payload
from accounts.models import Candidate, PhoneVerification
from accounts.services import candidate_enter, phone_code_send
from tests.accounts.helpers import entry_payload
from tests.concurrency import race_codes, skip_unless_postgres
from tests.factories.accounts import CandidateFactory, ExamCategoryFactory, TestSiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_first_entries_at_once_make_one_candidate():
    skip_unless_postgres()
    site = TestSiteFactory()
    category = ExamCategoryFactory()
    payloads = [
        entry_payload(province=site.province, site=site, category=category) for _ in range(4)
    ]
    outcomes = race_codes(
        [lambda p=p: candidate_enter(claims=claims_from_payload(p)) for p in payloads]
    )
    assert outcomes == ["ok"] * 4
    assert Candidate.objects.filter(reg_no=payloads[0]["reg_no"]).count() == 1


def test_same_token_twice_at_once_accepted_once():
    skip_unless_postgres()
    site = TestSiteFactory()
    payload = entry_payload(province=site.province, site=site, category=ExamCategoryFactory())
    claims = claims_from_payload(payload)
    outcomes = race_codes([lambda: candidate_enter(claims=claims)] * 2)
    assert sorted(outcomes) == ["ok", "replayed"]


def test_two_code_requests_at_once_send_one():
    skip_unless_postgres()
    candidate = CandidateFactory(
        activated=False,
        registration_confirmed_at="2026-01-01T00:00:00Z",
        consent_at="2026-01-01T00:00:00Z",
    )
    outcomes = race_codes([lambda: phone_code_send(candidate=candidate, phone="13812345678")] * 3)
    assert sorted(outcomes) == ["cooldown", "cooldown", "ok"]
    assert PhoneVerification.objects.filter(candidate=candidate).count() == 1
