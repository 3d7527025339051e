"""The scope rule (which candidates a staff member may see) has one home, read twice: as a
filter for lists and as a yes/no check for one candidate. For every kind of staff member and
every candidate, the two must agree."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.enums import StaffRole
from accounts.models import Candidate, StaffProfile
from accounts.selectors import candidates_visible_to, staff_can_see_candidate
from review.views.access import visible_candidate
from tests.factories.accounts import (
    CandidateFactory,
    ProvinceFactory,
    StaffUserFactory,
    TestSiteFactory,
    national_admin,
    operator,
    province_reviewer,
    site_reviewer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two provinces, two sites in the first: a candidate in each site."""
    first, second = ProvinceFactory(), ProvinceFactory()
    a, b = TestSiteFactory(province=first), TestSiteFactory(province=first)
    c = TestSiteFactory(province=second)
    candidates = [CandidateFactory(site=site) for site in (a, b, c)]
    return {"provinces": (first, second), "sites": (a, b, c), "candidates": candidates}


def _site_reviewer_without_site(world):
    user = StaffUserFactory()
    StaffProfile.objects.create(
        user=user, role=StaffRole.SITE_REVIEWER, province=world["provinces"][0], site=None
    )
    return user


def _province_reviewer_without_province(world):
    user = StaffUserFactory()
    StaffProfile.objects.create(user=user, role=StaffRole.PROVINCE_REVIEWER)
    return user


STAFF = {
    "site reviewer": (lambda w: site_reviewer(w["sites"][0]), [True, False, False]),
    "province reviewer": (lambda w: province_reviewer(w["provinces"][0]), [True, True, False]),
    "operator": (lambda w: operator(w["provinces"][1]), [False, False, True]),
    "national": (lambda w: national_admin(), [True, True, True]),
    "site reviewer without a site": (_site_reviewer_without_site, [False, False, False]),
    "province role without a province": (
        _province_reviewer_without_province,
        [False, False, False],
    ),
    "user without a staff profile": (lambda w: StaffUserFactory(), [False, False, False]),
    "inactive reviewer": (
        lambda w: site_reviewer(w["sites"][0], is_active=False),
        [False, False, False],
    ),
    "anonymous": (lambda w: AnonymousUser(), [False, False, False]),
}


@pytest.mark.parametrize("who", list(STAFF))
def test_scope_filter_and_check_agree_for_every_candidate(world, who):
    make, expected = STAFF[who]
    user = make(world)
    visible = set(candidates_visible_to(user).values_list("pk", flat=True))
    for candidate, sees in zip(world["candidates"], expected, strict=True):
        assert staff_can_see_candidate(user, candidate) is sees
        assert (candidate.pk in visible) is sees


# The admin (operators and national staff only) and the workbench's door read the same rule.
ADMIN_USERS = {"operator", "national"}


@pytest.mark.parametrize("who", list(STAFF))
def test_admin_scope_agrees_with_the_filter_for_every_candidate(world, who, rf):
    make, expected = STAFF[who]
    user = make(world)
    request = rf.get("/admin/")
    request.user = user
    model_admin = admin.site.get_model_admin(Candidate)
    in_admin = set(model_admin.get_queryset(request).values_list("pk", flat=True))
    for candidate, sees in zip(world["candidates"], expected, strict=True):
        shown = sees and who in ADMIN_USERS
        assert (candidate.pk in in_admin) is shown
        assert bool(model_admin.has_view_permission(request, candidate)) is shown


@pytest.mark.parametrize("who", list(STAFF))
def test_workbench_door_agrees_with_the_filter_for_every_candidate(world, who, rf):
    make, expected = STAFF[who]
    user = make(world)
    request = rf.get("/review/")
    request.user = user
    for candidate, sees in zip(world["candidates"], expected, strict=True):
        try:
            visible_candidate(request, candidate.pk)
        except Http404:
            opened = False
        else:
            opened = True
        assert opened is sees
