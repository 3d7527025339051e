"""SMS in the candidate's language (notifications.sms.sms_text): the review messages in the
language the candidate last used, the verification code in the page's, and a province's
standard text translated while the operator has not changed it."""

import re

import pytest
from django.test import Client
from django.utils import timezone, translation

from notifications.sms import SmsKind, sms_send, sms_text
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture
def english_candidate():
    return CandidateFactory(name="Wang Wei", reg_no="2612010001", language="en")


def test_a_candidate_using_chinese_gets_the_standard_texts_as_written():
    candidate = CandidateFactory(language="zh-hans")
    province = candidate.province
    with translation.override("en"):  # whatever the language of the request that sends it
        text = sms_text(kind=SmsKind.RETURN, candidate=candidate, hours=24)
    assert text == province.sms_return_text.replace("{hours}", "24")


@pytest.mark.parametrize("kind", [SmsKind.RETURN, SmsKind.APPROVED, SmsKind.REJECTED])
def test_a_candidate_using_english_gets_the_standard_texts_in_english(english_candidate, kind):
    text = sms_text(kind=kind, candidate=english_candidate, hours=24)
    assert text and not HAN.search(text), text


def test_the_reminder_gives_the_deadline_in_english(english_candidate):
    deadline = timezone.make_aware(timezone.datetime(2026, 5, 1, 10, 0))
    text = sms_text(kind=SmsKind.REMINDER, candidate=english_candidate, deadline=deadline)
    assert "2026" in text and "10:00" in text
    assert not HAN.search(text), text


def test_the_code_follows_the_page_language(english_candidate):
    with translation.override("en"):
        text = sms_text(kind=SmsKind.CODE, candidate=english_candidate, code="123456")
    assert "123456" in text and not HAN.search(text), text


def test_a_candidate_who_switches_to_english_is_sent_english_sms():
    candidate = CandidateFactory()
    browser = Client()
    browser.get(candidate_entry_url(candidate))
    browser.post("/language/", {"language": "en", "next": "/materials/"})
    candidate.refresh_from_db()
    notification = sms_send(kind=SmsKind.RETURN, candidate=candidate, hours=24, event_key="t")
    assert "24" in notification.text and not HAN.search(notification.text), notification.text
