"""What the candidate's material page says once reviewers have decided: the final result
(审核通过 / 审核拒绝 with its reason) once, at the top, with its date; earlier 审核意见 as
history marked 已处理; the return still to answer marked 待处理. Driven through the review
services, as reviewers and the candidate would."""

import re

import pytest
from django.utils import timezone

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus
from review import services
from tests.factories.materials import MaterialImageFactory
from tests.factories.review import candidate_with_photos
from tests.materials.conftest import login_candidate

pytestmark = pytest.mark.django_db

PAGE = "/materials/"


def _page(client, candidate) -> str:
    return login_candidate(client, candidate).get(PAGE).content.decode()


def _returned_by_site(org, *, reason="图片不清晰"):
    candidate, cats, imgs = candidate_with_photos(site=org.site, photos=2)
    services.image_return(image=imgs[0], by=org.staff["site"], reason=reason)
    services.candidate_return(candidate=candidate, by=org.staff["site"], message="请更换第一张")
    candidate.refresh_from_db()
    return candidate, cats, imgs


def _resubmit(candidate, image):
    image.removed_at = timezone.now()
    image.save()
    MaterialImageFactory(candidate=candidate, category=image.category, replaces=image)
    services.candidate_resubmit(candidate=candidate)
    candidate.refresh_from_db()


def _feedback_items(page: str) -> list[str]:
    return re.findall(
        r'<li class="feedback-item[^"]*">.*?</li>\s*(?=<li class="feedback-item|</ol>)', page, re.S
    )


def test_open_return_is_marked_to_do_not_handled(client, org):
    candidate, _cats, _imgs = _returned_by_site(org)
    page = _page(client, candidate)
    assert "审核意见" in page and "请更换第一张" in page and "图片不清晰" in page
    assert "待处理" in page and "已处理" not in page
    assert 'id="final-result"' not in page


def test_resubmitted_return_is_marked_handled(client, org):
    candidate, _cats, imgs = _returned_by_site(org)
    _resubmit(candidate, imgs[0])
    assert candidate.status == CandidateStatus.SUBMITTED
    page = _page(client, candidate)
    assert "请更换第一张" in page
    assert "已处理" in page and "待处理" not in page
    assert 'id="final-result"' not in page


def test_second_return_leaves_only_the_newest_open(client, org):
    candidate, _cats, imgs = _returned_by_site(org)
    _resubmit(candidate, imgs[0])
    current = candidate.images.filter(removed_at__isnull=True, status=ImageStatus.PENDING).first()
    services.image_return(image=current, by=org.staff["site"], reason="仍不清晰")
    services.candidate_return(candidate=candidate, by=org.staff["site"], message="第二次退回")
    candidate.refresh_from_db()
    items = _feedback_items(_page(client, candidate))
    assert len(items) == 2
    assert "第二次退回" in items[0] and "待处理" in items[0] and "已处理" not in items[0]
    assert "请更换第一张" in items[1] and "已处理" in items[1]


def test_approved_shows_result_with_date_once_and_marks_the_return_handled(client, org):
    candidate, _cats, imgs = _returned_by_site(org)
    _resubmit(candidate, imgs[0])
    services.images_approve_remaining(candidate=candidate, by=org.staff["site"])
    services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    services.candidate_approve(candidate=candidate, by=org.staff["province"])
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.APPROVED
    page = _page(client, candidate)
    result = page.split('id="final-result"')[1].split("</section>")[0]
    decided = timezone.localtime(candidate.status_changed_at)
    assert "最终审核结果" in result and "审核通过" in result
    assert f"{decided.year}年{decided.month}月{decided.day}日 {decided:%H:%M}" in result
    assert "无需再进行任何操作" in result
    assert page.count("无需再进行任何操作") == 1
    # The site's return is history now.
    assert "请更换第一张" in page and "已处理" in page and "待处理" not in page


def test_rejected_shows_reason_and_date_once_and_site_to_contact(client, org):
    candidate, _cats, _imgs = _returned_by_site(org)
    services.candidate_reject(
        candidate=candidate, by=org.staff["site"], reason="报考条件不符：学历不满足要求"
    )
    candidate.refresh_from_db()
    page = _page(client, candidate)
    result = page.split('id="final-result"')[1].split("</section>")[0]
    decided = timezone.localtime(candidate.status_changed_at)
    assert "审核拒绝" in result and "报考条件不符：学历不满足要求" in result
    assert f"{decided.year}年{decided.month}月{decided.day}日" in result
    assert org.site.name in result
    # The reason is the result's: not repeated among the 审核意见.
    assert page.count("报考条件不符：学历不满足要求") == 1
    items = _feedback_items(page)
    assert len(items) == 1 and "请更换第一张" in items[0] and "已处理" in items[0]
    assert "待处理" not in page


def test_approved_without_any_return_shows_only_the_result(client, org):
    candidate, _cats, _imgs = candidate_with_photos(site=org.site, photos=1)
    services.images_approve_remaining(candidate=candidate, by=org.staff["site"])
    services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    services.candidate_approve(candidate=candidate, by=org.staff["province"])
    page = _page(client, candidate)
    assert 'id="final-result"' in page and "审核通过" in page
    assert 'id="feedback-title"' not in page
