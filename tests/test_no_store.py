"""No page of a candidate or of staff, and no photo, is kept by a browser or a proxy: a walk
over every page the candidate, a site reviewer, a province reviewer and an operator can reach
by following links (GET only), checking Cache-Control on each answer. Only the public example
pictures and attachments (not personal data) may be cached."""

from __future__ import annotations

import re
from collections import deque
from html import unescape

import pytest

from accounts.enums import CandidateStatus
from tests.factories.review import candidate_with_photos
from tests.materials.conftest import login_candidate
from tests.review.conftest import org  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

HREF = re.compile(r'(?:href|src)="(/[^"#]*)"')
PUBLIC = re.compile(r"^/(static/|materials/example/\d+/image/|materials/attachment/\d+/)")
# Pages a walk must not open: they end the session, or are long lists of the same page.
SKIP = re.compile(r"logout|/jsi18n/|[?&](o|p|all)=|_changelist_filters")
MAX_PAGES = 120


def walk(client, start: list[str]) -> dict[str, str]:
    """Follows same-site links breadth-first from `start`; returns each URL opened with its
    Cache-Control."""
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or PUBLIC.match(url) or SKIP.search(url):
            continue
        response = client.get(url)
        assert response.status_code < 500, url
        seen[url] = response.get("Cache-Control", "")
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if response.get("Content-Type", "").startswith("text/html"):
            for link in HREF.findall(response.content.decode()):
                queue.append(unescape(link))
    return seen


def _not_no_store(seen: dict[str, str]) -> dict[str, str]:
    return {url: cc for url, cc in seen.items() if "no-store" not in cc}


@pytest.fixture
def people(org):  # noqa: F811
    submitted, _cats, _imgs = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, site=org.site, categories=2
    )
    passed, _cats, _imgs = candidate_with_photos(status=CandidateStatus.SITE_PASSED, site=org.site)
    draft, _cats, _imgs = candidate_with_photos(status=CandidateStatus.DRAFT, site=org.site)
    return org, (submitted, passed), draft


def test_candidate_pages_and_photos_are_no_store(client, people):
    _place, _candidates, draft = people
    login_candidate(client, draft)

    seen = walk(client, ["/", "/materials/"])

    assert any(url.startswith("/materials/image/") for url in seen)
    assert len(seen) >= 5, seen
    assert _not_no_store(seen) == {}


@pytest.mark.parametrize("who", ["site", "province", "operator"])
def test_staff_pages_and_photos_are_no_store(client, people, who):
    place, candidates, _draft = people
    client.force_login(place.staff[who])
    start = ["/review/", *(f"/review/candidate/{c.pk}/" for c in candidates)]
    if who == "operator":
        start = ["/admin/", *start]

    seen = walk(client, start)

    assert len(seen) >= 5, seen
    if who != "operator":
        assert any(url.startswith("/materials/image/") for url in seen)
    assert _not_no_store(seen) == {}


def test_anonymous_pages_are_no_store(client):
    seen = walk(client, ["/", "/review/login/", "/admin/login/", "/entry/?t=bad"])
    assert _not_no_store(seen) == {}
