"""The interface language: Chinese by default, English by the switch on every page, kept in
the language cookie (config.middleware.ChosenLanguageMiddleware, accounts.views.set_language)
and on a logged-in candidate (their SMS language)."""

import re

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Candidate
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory, operator, site_reviewer

pytestmark = pytest.mark.django_db

SWITCH = re.compile(
    r'<form class="language-switch" action="/language/" method="post">.*?</form>', re.S
)


def _switch(body: str) -> str:
    found = SWITCH.search(body)
    assert found, "no language switch on the page"
    return found.group(0)


def test_pages_open_in_chinese_whatever_the_browser_asks():
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_the_switch_offers_english_on_a_chinese_page_and_chinese_on_an_english_one():
    client = Client()
    switch = _switch(client.get("/materials/help/").content.decode())
    assert 'name="language" value="en" lang="en"' in switch
    assert '<input type="hidden" name="next" value="/materials/help/">' in switch
    assert 'value="zh-hans"' not in switch  # the current language is not a button

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    switch = _switch(client.get("/materials/help/").content.decode())
    assert 'name="language" value="zh-hans" lang="zh-hans"' in switch
    assert "简体中文" in switch


def test_switching_to_english_returns_to_the_page_in_english_and_stays():
    client = Client()
    response = client.post("/language/", {"language": "en", "next": "/materials/help/?x=1"})
    assert response.status_code == 302
    assert response.url == "/materials/help/?x=1"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    assert cookie["httponly"]

    for _ in range(2):
        page = client.get("/materials/help/")
        assert '<html lang="en">' in page.content.decode()
        assert page["Content-Language"] == "en"

    client.post("/language/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_the_switch_refuses_a_language_not_offered_and_a_foreign_next():
    client = Client()
    response = client.post("/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response.url
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_a_cookie_naming_another_language_leaves_chinese():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_the_switch_needs_a_post_with_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.get("/language/").status_code == 405
    response = client.post("/language/", {"language": "en", "next": "/"})
    assert response.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_error_pages_carry_the_switch(client):
    for body in (
        client.get("/no-such-page/").content.decode(),
        client.get("/errors/too-large/").content.decode(),
    ):
        assert 'name="language" value="en"' in _switch(body)


def test_the_refused_csrf_page_carries_a_working_switch():
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/logout/")
    assert refused.status_code == 403
    switch = _switch(refused.content.decode())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', switch).group(1)
    response = client.post(
        "/language/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_the_admin_log_in_and_index_carry_the_switch(client):
    assert 'name="language" value="en"' in _switch(client.get("/admin/login/").content.decode())
    client.force_login(operator(CandidateFactory().province))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/admin/").content.decode()
    assert 'name="language" value="zh-hans"' in _switch(body)
    assert '<html lang="en"' in body


def test_a_logged_in_candidate_who_switches_keeps_the_language_for_their_sms():
    candidate = CandidateFactory()
    client = Client()
    client.get(candidate_entry_url(candidate))
    assert Candidate.objects.get(pk=candidate.pk).language == "zh-hans"

    client.post("/language/", {"language": "en", "next": "/materials/"})
    assert Candidate.objects.get(pk=candidate.pk).language == "en"

    client.post("/language/", {"language": "fr", "next": "/materials/"})
    assert Candidate.objects.get(pk=candidate.pk).language == "en"


def test_a_visitor_without_a_candidate_session_changes_no_candidate():
    candidate = CandidateFactory()
    Client().post("/language/", {"language": "en", "next": "/"})
    assert Candidate.objects.get(pk=candidate.pk).language == "zh-hans"


def test_entry_records_the_language_the_candidate_uses():
    candidate = CandidateFactory()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.get(candidate_entry_url(candidate))
    assert Candidate.objects.get(pk=candidate.pk).language == "en"

    chinese = Client()
    chinese.get(candidate_entry_url(candidate))
    assert Candidate.objects.get(pk=candidate.pk).language == "zh-hans"


def test_the_phone_opened_by_the_qr_code_continues_in_the_candidates_language():
    candidate = CandidateFactory()
    desktop = Client()
    desktop.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    desktop.get(candidate_entry_url(candidate))
    body = desktop.post("/handoff/", HTTP_X_YISHEN_FRAGMENT="1").content.decode()
    url = re.search(r'data-handoff-url="([^"]+)"', body).group(1)

    phone = Client()
    response = phone.get("/" + url.split("/", 3)[3])
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in phone.get(response.url).content.decode()


def test_the_reviewer_sees_that_a_candidate_uses_english(client):
    chinese = CandidateFactory(status="submitted")
    english = CandidateFactory(status="submitted", site=chinese.site, language="en")
    client.force_login(site_reviewer(chinese.site))
    assert "考生使用的语言" not in client.get(f"/review/c/{chinese.pk}/").content.decode()
    body = client.get(f"/review/c/{english.pk}/").content.decode()
    assert "<dt>考生使用的语言</dt><dd>English</dd>" in body
