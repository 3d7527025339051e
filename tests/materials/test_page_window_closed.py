"""When the province's upload window is not open (or a return's reply deadline has passed),
the material page says so plainly, names the test site to contact, and never counts down
to a moment that has passed; a candidate who has not activated is told before activating."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.entry import payload_for_candidate, sign_entry_token
from accounts.enums import CandidateStatus
from tests.factories.accounts import CandidateFactory, ProvinceFactory, TestSiteFactory
from tests.factories.materials import MaterialImageFactory
from tests.materials.conftest import login_candidate

pytestmark = pytest.mark.django_db

PAGE = "/materials/"


def _closed_candidate(*, activated=True, **kwargs):
    now = timezone.now()
    province = ProvinceFactory(opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1))
    site = TestSiteFactory(province=province, name="和平区考点")
    return CandidateFactory(site=site, province=province, activated=activated, **kwargs)


def _entry(client, candidate):
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    return client.get(f"/entry/?t={token}")


def test_closed_window_says_closed_names_the_site_and_never_counts_zero(client, category):
    candidate = _closed_candidate()
    category.province = candidate.province
    category.save()
    MaterialImageFactory(candidate=candidate, category=category)
    page = login_candidate(client, candidate).get(PAGE).content.decode()
    assert "上传时间已于" in page and "截止，内容已锁定。" in page
    assert "请联系您报考的考点：和平区考点" in page
    assert "（已截止）" in page
    assert "剩余" not in page and "0 分钟" not in page
    assert "提交审核" not in page
    # Said once, in the status panel, not again as the shared lock line.
    assert page.count("截止，内容已锁定。") == 1


def test_closed_window_with_nothing_uploaded_does_not_speak_of_locked_content(client, category):
    candidate = _closed_candidate()
    category.province = candidate.province
    category.save()
    page = login_candidate(client, candidate).get(PAGE).content.decode()
    assert "上传时间已于" in page and "截止。" in page
    assert "锁定" not in page
    assert "请联系您报考的考点：和平区考点" in page


def test_window_not_yet_open_says_when_and_what_to_do(client):
    now = timezone.now()
    province = ProvinceFactory(opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=9))
    site = TestSiteFactory(province=province, name="河西区考点")
    candidate = CandidateFactory(site=site, province=province)
    page = login_candidate(client, candidate).get(PAGE).content.decode()
    assert "尚未开放上传" in page
    assert "请在上传开始后再来上传材料" in page and "河西区考点" in page
    assert "距开始还有" in page


def test_open_window_has_no_closed_notice_and_counts_down(client, candidate, category):
    page = login_candidate(client, candidate).get(PAGE).content.decode()
    assert 'id="window-closed"' not in page
    assert "剩余" in page and "已截止" not in page


def test_submitted_candidate_after_the_window_is_not_told_to_contact_the_site(client):
    candidate = _closed_candidate(status=CandidateStatus.SUBMITTED, submitted_at=timezone.now())
    page = login_candidate(client, candidate).get(PAGE).content.decode()
    assert 'id="window-closed"' not in page
    assert "上报完成，内容已锁定。" in page


def test_past_reply_deadline_says_closed_and_names_the_site(client, category):
    candidate = CandidateFactory(
        status=CandidateStatus.RETURNED,
        returned_categories=[category.pk],
        reply_deadline=timezone.now() - timedelta(hours=1),
        submitted_at=timezone.now() - timedelta(days=2),
    )
    MaterialImageFactory(candidate=candidate, category=category)
    page = login_candidate(client, candidate).get(PAGE).content.decode()
    assert "修改截止时间" in page and "（已截止）" in page
    assert "剩余" not in page
    assert "修改期限已过，无法再更换图片或重新提交。" in page
    assert candidate.site.name in page
    assert "/materials/resubmit/" not in page


def test_new_candidate_is_told_the_window_is_closed_before_activation(client):
    candidate = _closed_candidate(activated=False)
    response = _entry(client, candidate)
    assert response.url == PAGE
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "当前不在材料上传时间内" in page
    assert "请联系您报考的考点：和平区考点" in page
    # Nothing was ever uploaded: nothing is locked.
    assert "上传时间已于" in page and "锁定" not in page
    # The activation steps are not shown; the candidate may still choose to activate.
    assert "第 1 步" not in page
    assert 'href="/activate/"' in page
    assert client.get("/activate/").url == "/activate/confirm/"


def test_new_candidate_goes_to_activation_while_the_window_is_open(client):
    candidate = CandidateFactory(activated=False)
    response = _entry(client, candidate)
    assert client.get(response.url).url == "/activate/"


def test_new_candidate_cannot_reach_upload_while_not_activated(client, category):
    candidate = _closed_candidate(activated=False)
    login_candidate(client, candidate)
    assert client.get(f"/materials/category/{category.pk}/").url == "/activate/"
