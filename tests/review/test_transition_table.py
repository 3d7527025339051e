"""A walk through the transition table (review.transitions.TABLE): from every status, every
verb. Each transition of the table works from its state, writes its audit row, its SMS and
its count; every other pair is refused and changes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils import timezone

from accounts.enums import CandidateStatus, ReviewLevel, SubmitMode
from accounts.models import Candidate
from materials.enums import ImageStatus
from notifications.models import Notification
from review import transitions
from review.models import ReviewEvent, SiteStatusCount
from review.services import candidate_transition
from tests.factories.accounts import (
    ProvinceFactory,
    TestSiteFactory,
    operator,
    province_reviewer,
    site_reviewer,
)
from tests.factories.review import candidate_with_photos

pytestmark = pytest.mark.django_db

PAIRS = [(verb, status) for verb in transitions.VERBS for status in CandidateStatus.values]


def _candidate_ready_for(verb: str, status: str):
    """A candidate in `status` that meets everything `verb` asks besides the state."""
    now = timezone.now()
    province = ProvinceFactory(
        submit_mode=SubmitMode.AUTO_SAVE if verb == "autosubmit" else SubmitMode.EXPLICIT,
        closes_at=now - dt.timedelta(hours=1) if verb == "deadline_submit" else None,
        opens_at=None,
    )
    image_status = {
        "site_pass": ImageStatus.APPROVED,
        "approve": ImageStatus.APPROVED,
        "return": ImageStatus.RETURNED,
    }.get(verb, ImageStatus.PENDING)
    returned = status == CandidateStatus.RETURNED
    candidate, _cats, _images = candidate_with_photos(
        status=status,
        site=TestSiteFactory(province=province),
        photos=1,
        image_status=image_status,
        returned_by=ReviewLevel.SITE if returned else "",
        reply_deadline=now + dt.timedelta(hours=24) if returned else None,
    )
    return candidate


def _counts_agree(site_id) -> bool:
    kept = SiteStatusCount.objects.per_status(Q(site_id=site_id))
    real = dict(
        Candidate.objects.filter(site_id=site_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return kept == {s: real.get(s, 0) for s in CandidateStatus.values}


@pytest.mark.parametrize(("verb", "status"), PAIRS)
def test_each_verb_from_each_status_works_exactly_where_the_table_says(verb, status):
    candidate = _candidate_ready_for(verb, status)
    by = operator(candidate.province) if verb in transitions.STAFF_VERBS else None
    row = transitions.transition_for(verb, status)
    before = Candidate.objects.get(pk=candidate.pk)

    if row is None:
        with pytest.raises((ValidationError, PermissionDenied)):
            candidate_transition(candidate=candidate, verb=verb, by=by, message="说明")
        after = Candidate.objects.get(pk=candidate.pk)
        assert (after.status, after.updated_at, after.status_changed_at) == (
            before.status,
            before.updated_at,
            before.status_changed_at,
        )
        assert not ReviewEvent.objects.filter(candidate=candidate).exists()
        assert not Notification.objects.filter(candidate=candidate).exists()
    else:
        candidate_transition(candidate=candidate, verb=verb, by=by, message="说明", ip="10.0.0.9")
        target = CandidateStatus.SUBMITTED if verb == "resubmit" else row.target
        assert Candidate.objects.get(pk=candidate.pk).status == target
        assert candidate.status == target  # the caller's instance shows what was stored
        event = ReviewEvent.objects.get(candidate=candidate)
        assert (event.action, event.from_status, event.to_status, event.actor_kind) == (
            row.action,
            status,
            target,
            row.actor,
        )
        assert Notification.objects.filter(candidate=candidate).count() == (1 if row.sms else 0)
    assert _counts_agree(candidate.site_id)


STAFF_ROWS = [t for t in transitions.TABLE if t.level]


@pytest.mark.parametrize("row", STAFF_ROWS, ids=lambda t: f"{t.verb}-{t.source}")
def test_a_staff_transition_is_refused_to_the_other_level(row):
    candidate = _candidate_ready_for(row.verb, row.source)
    level = transitions.deciding_level(row, candidate)
    other = (
        province_reviewer(candidate.province)
        if level == ReviewLevel.SITE
        else site_reviewer(candidate.site)
    )
    with pytest.raises((ValidationError, PermissionDenied)):
        candidate_transition(candidate=candidate, verb=row.verb, by=other, message="说明")
    assert Candidate.objects.get(pk=candidate.pk).status == row.source
    assert not ReviewEvent.objects.filter(candidate=candidate).exists()


@pytest.mark.parametrize("row", STAFF_ROWS, ids=lambda t: f"{t.verb}-{t.source}")
def test_a_staff_transition_is_taken_by_its_level(row):
    candidate = _candidate_ready_for(row.verb, row.source)
    level = transitions.deciding_level(row, candidate)
    own = (
        site_reviewer(candidate.site)
        if level == ReviewLevel.SITE
        else province_reviewer(candidate.province)
    )
    candidate_transition(candidate=candidate, verb=row.verb, by=own, message="说明")
    assert Candidate.objects.get(pk=candidate.pk).status == row.target
    assert ReviewEvent.objects.get(candidate=candidate).data["level"] == level


def test_the_workbench_reads_the_acting_level_from_the_table():
    site = TestSiteFactory()
    reviewer = site_reviewer(site).staff_profile
    province_user = province_reviewer(site.province).staff_profile
    boss = operator(site.province).staff_profile
    for status in CandidateStatus.values:
        expected = transitions.TURN.get(status)
        assert transitions.acting_level(boss, status) == expected
        assert transitions.acting_level(reviewer, status) == (
            ReviewLevel.SITE if expected == ReviewLevel.SITE else None
        )
        assert transitions.acting_level(province_user, status) == (
            ReviewLevel.PROVINCE if expected == ReviewLevel.PROVINCE else None
        )


def test_the_callers_candidate_is_left_as_stored_not_only_what_changed():
    """«…并下一位» goes on from the candidate the pass was given: the transition leaves on it
    the whole row as stored (its queue position and scope too), not only what it wrote."""
    stored = _candidate_ready_for("site_pass", CandidateStatus.SUBMITTED)
    given = Candidate(pk=stored.pk)
    done = candidate_transition(candidate=given, verb="site_pass", by=site_reviewer(stored.site))
    assert done.candidate is given
    fresh = Candidate.objects.get(pk=stored.pk)
    fields = ("status", "submitted_at", "site_id", "province_id", "reg_no", "name")
    assert [getattr(given, name) for name in fields] == [getattr(fresh, name) for name in fields]
    assert given.status == CandidateStatus.SITE_PASSED
