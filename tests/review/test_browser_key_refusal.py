"""P (and ⇧A, D) on a candidate another reviewer of the site holds: the reason the decision
would be refused, beside the photo, announced, at a desktop's and a phone's size."""

from urllib.parse import urlsplit

import pytest

from accounts.enums import CandidateStatus
from review.services import claimed_error
from tests.factories.accounts import PASSWORD, site_reviewer
from tests.factories.review import candidate_with_photos, claim
from tests.staff import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)], ids=["desktop", "phone"])
def test_decision_keys_on_a_candidate_held_by_another_reviewer_say_why(page, live_server, size):
    candidate, _cats, _imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED, photos=2)
    holding = claim(candidate, site_reviewer(candidate.site, first_name="王审核"))
    expected = claimed_error(holding).messages[0]
    second = site_reviewer(candidate.site)
    desk = page.context.browser.new_context(
        base_url=live_server.url,
        viewport={"width": size[0], "height": size[1]},
        locale="zh-CN",
    )
    desk.set_default_timeout(15_000)
    tab = desk.new_page()
    browser_login(tab, second, password=PASSWORD, base=live_server.url)
    tab.goto(f"/review/c/{candidate.pk}/")
    tab.wait_for_function("() => document.querySelector('.workbench.one-photo')")
    region = tab.locator("#key-refusal")
    assert region.get_attribute("role") == "status"
    assert region.inner_text() == ""

    for key in ("p", "P", "Shift+A", "d"):
        tab.keyboard.press(key)
        # One message each time (a new paragraph, announced again), in sight.
        assert region.locator("p").count() == 1, key
        assert region.inner_text().strip() == expected, key
        box = region.bounding_box()
        # (scrollIntoView stops at whole pixels: a fraction of one may stay below.)
        assert box["y"] >= 0 and box["y"] + box["height"] <= size[1] + 1, (key, box)
    # Nothing was posted: the reviewer is still on the page.
    assert urlsplit(tab.url).path == f"/review/c/{candidate.pk}/", tab.url
    desk.close()
