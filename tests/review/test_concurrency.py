"""Two reviewers deciding on the same candidate at the same moment: one wins, the other is
told clearly. A real race needs real row locks, so this runs on PostgreSQL only."""

import pytest

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus
from notifications.models import Notification
from review import services
from review.enums import EventAction
from review.models import ReviewEvent
from tests.concurrency import race_messages, skip_unless_postgres
from tests.factories.accounts import site_reviewer
from tests.factories.review import candidate_with_photos


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_one_wins_other_told():
    skip_unless_postgres()
    candidate, cats, imgs = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, image_status=ImageStatus.RETURNED
    )
    first, second = site_reviewer(candidate.site), site_reviewer(candidate.site)
    for img in imgs:
        img.status = ImageStatus.APPROVED
        img.save()
    imgs[0].status = ImageStatus.RETURNED
    imgs[0].save()
    outcomes = race_messages(
        [
            lambda: services.candidate_return(
                candidate=candidate, by=first, expected_status=CandidateStatus.SUBMITTED
            ),
            lambda: services.candidate_reject(
                candidate=candidate,
                by=second,
                reason="不符合报考条件",
                expected_status=CandidateStatus.SUBMITTED,
            ),
        ]
    )
    assert outcomes.count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert loser.startswith("该考生已被其他审核员处理（当前状态："), loser
    assert loser.endswith("），请刷新后查看。")
    decisions = ReviewEvent.objects.filter(
        action__in=[EventAction.SITE_RETURN, EventAction.REJECT]
    ).count()
    assert decisions == 1
    assert Notification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_same_decision_twice_at_once_sends_one_sms():
    skip_unless_postgres()
    candidate, cats, imgs = candidate_with_photos(
        status=CandidateStatus.SITE_PASSED, image_status=ImageStatus.APPROVED
    )
    from tests.factories.accounts import province_reviewer

    a, b = province_reviewer(candidate.province), province_reviewer(candidate.province)
    outcomes = race_messages(
        [
            lambda: services.candidate_approve(
                candidate=candidate, by=a, expected_status=CandidateStatus.SITE_PASSED
            ),
            lambda: services.candidate_approve(
                candidate=candidate, by=b, expected_status=CandidateStatus.SITE_PASSED
            ),
        ]
    )
    assert outcomes.count("ok") == 1, outcomes
    assert "当前状态：审核通过" in next(o for o in outcomes if o != "ok")
    assert Notification.objects.count() == 1
    assert ReviewEvent.objects.filter(action=EventAction.PROVINCE_APPROVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_in_the_workbench_at_once_one_wins_the_other_reads_why():
    skip_unless_postgres()
    from django.urls import reverse

    from tests.concurrency import race_codes
    from tests.staff import StaffClient

    candidate, cats, imgs = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, image_status=ImageStatus.APPROVED
    )
    reviewers = [site_reviewer(candidate.site), site_reviewer(candidate.site)]
    clients = [StaffClient(), StaffClient()]
    for client, reviewer in zip(clients, reviewers, strict=True):
        client.force_login(reviewer)
    url = reverse("review:decide", kwargs={"pk": candidate.pk})
    pages: dict[int, str] = {}

    def decide(i: int, data: dict):
        def call():
            response = clients[i].post(url, {**data, "expected_status": "submitted"}, follow=True)
            assert response.status_code == 200
            pages[i] = response.content.decode()

        return call

    outcomes = race_codes(
        [
            decide(0, {"action": "site_pass"}),
            decide(1, {"action": "reject", "message": "不符合报考条件"}),
        ]
    )

    assert outcomes == ["ok", "ok"], outcomes
    won = [i for i, page in pages.items() if "已考点通过。" in page or "已审核拒绝" in page]
    told = [i for i, page in pages.items() if "该考生已被其他审核员处理（当前状态：" in page]
    assert len(won) == 1 and len(told) == 1 and won != told, pages
    candidate.refresh_from_db()
    assert candidate.status in (CandidateStatus.SITE_PASSED, CandidateStatus.REJECTED)
    decided = ReviewEvent.objects.filter(action__in=[EventAction.SITE_PASS, EventAction.REJECT])
    assert decided.count() == 1
    assert Notification.objects.count() == (candidate.status == CandidateStatus.REJECTED)


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_going_next_at_once_never_get_the_same_candidate():
    skip_unless_postgres()
    import datetime as dt

    from review import selectors
    from review.models import ReviewClaim

    first, cats, _i = candidate_with_photos(status=CandidateStatus.SUBMITTED)
    others = []
    for n in range(3):
        c, _c, _i = candidate_with_photos(
            status=CandidateStatus.SUBMITTED, site=first.site, categories=cats
        )
        c.submitted_at = first.submitted_at + dt.timedelta(seconds=n + 1)
        c.save(update_fields=["submitted_at"])
        others.append(c)
    reviewers = [site_reviewer(first.site) for _ in range(3)]
    got: dict[int, int] = {}

    def go_next(i: int):
        def call():
            following = services.claim_next(
                by=reviewers[i], flt=selectors.QueueFilter(), after=first
            )
            got[i] = following.pk

        return call

    outcomes = race_messages([go_next(i) for i in range(3)])

    assert outcomes == ["ok", "ok", "ok"], outcomes
    assert sorted(got.values()) == sorted(c.pk for c in others), got
    held = dict(ReviewClaim.objects.values_list("candidate_id", "reviewer_id"))
    assert held == {got[i]: reviewers[i].pk for i in range(3)}
