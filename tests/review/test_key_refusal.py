"""The candidate page carries what a decision key would be refused with, when no decision
can be taken here (another reviewer holds the candidate, or it is not at this level)."""

import html
import re

import pytest
from django.urls import reverse

from accounts.enums import CandidateStatus
from review.services import claimed_error
from tests.factories.accounts import site_reviewer
from tests.factories.review import candidate_with_photos, claim

pytestmark = pytest.mark.django_db


def _refusal(body: str) -> str | None:
    found = re.search(r'<div id="key-refusal" role="status" data-message="([^"]*)"></div>', body)
    return html.unescape(found.group(1)) if found else None


def _page(client, user, candidate) -> str:
    client.force_login(user)
    return client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()


def test_candidate_held_by_another_reviewer_carries_the_decisions_refusal(client):
    candidate, _cats, _imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED)
    holding = claim(candidate, site_reviewer(candidate.site, first_name="王审核"))
    message = _refusal(_page(client, site_reviewer(candidate.site), candidate))
    assert message == claimed_error(holding).messages[0]
    assert message.startswith("该考生正由审核员 王审核 审核（至 ")


def test_candidate_not_at_this_level_carries_the_read_only_notice(client):
    candidate, _cats, _imgs = candidate_with_photos(status=CandidateStatus.SITE_PASSED)
    message = _refusal(_page(client, site_reviewer(candidate.site), candidate))
    assert message == "该考生当前状态为「考点通过」，不在您的审核环节，仅可查看。"


def test_candidate_the_reviewer_may_decide_has_no_refusal(client):
    candidate, _cats, _imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED)
    body = _page(client, site_reviewer(candidate.site), candidate)
    assert 'id="key-refusal"' not in body
    assert 'data-key="p"' in body
