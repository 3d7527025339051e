"""The candidates' help page (常见问题): open before and after entry, linked from the
candidate's pages and the entry and error pages, naming every state as the code does."""

import re

import pytest

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus
from tests.factories.accounts import CandidateFactory
from tests.materials.conftest import login_candidate

pytestmark = pytest.mark.django_db

HELP = "/materials/help/"
HELP_LINK = f'href="{HELP}"'


def test_help_page_opens_for_anonymous_visitor_without_redirect(client):
    response = client.get(HELP)
    assert response.status_code == 200
    text = response.content.decode()
    assert "常见问题" in text
    assert "如何进入报名材料上传页面？" in text
    assert "材料被退回了怎么办？" in text
    # Anonymous: no way back to a material page they do not have.
    assert 'href="/materials/"' not in text


def test_help_page_for_logged_in_candidate_links_back_to_material_page(client):
    login_candidate(client, CandidateFactory())
    response = client.get(HELP)
    assert response.status_code == 200
    assert 'href="/materials/"' in response.content.decode()


def test_help_page_names_every_candidate_and_photo_state_by_its_enum_label(client):
    text = client.get(HELP).content.decode()
    states = re.search(r'id="help-states">(.*?)</section>', text, re.S).group(1)
    for status in CandidateStatus:
        assert f'<dt><span class="status">{status.label}</span></dt>' in states, status
    for status in ImageStatus:
        assert f"<dt>{status.label}</dt>" in states, status


def test_help_page_tells_of_the_reminder_sms_and_where_it_goes(client):
    text = client.get(HELP).content.decode()
    reminder = re.search(r'id="help-reminder">(.*?)</p>', text, re.S).group(1)
    assert "上传截止前，尚未完成上传提交的考生会收到一条提醒短信（夜间不发送）" in reminder
    assert "还没有进入过本系统的，发到报名系统登记的手机号码" in reminder
    assert "临近修改截止时间仍未重新提交的，会再收到一条提醒短信。" in text


def test_help_page_is_not_stored_by_browsers(client):
    response = client.get(HELP)
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


def test_help_page_refuses_post_without_change(client):
    assert client.post(HELP).status_code == 405


def test_entry_needed_page_links_to_help(client):
    response = client.get("/entry/needed/")
    assert HELP_LINK in response.content.decode()


def test_refused_entry_links_to_help(client):
    response = client.get("/entry/?t=not-a-token")
    assert HELP_LINK in response.content.decode()


def test_material_page_links_to_help(client):
    candidate = CandidateFactory()
    login_candidate(client, candidate)
    response = client.get("/materials/")
    assert response.status_code == 200
    assert HELP_LINK in response.content.decode()


def test_not_found_page_links_to_help(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert HELP_LINK in response.content.decode()
