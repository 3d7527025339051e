"""The reviewer's candidate page in Chromium: a photo the candidate deleted after its return
and uploaded again stands in the returned photo's place, so J and K step through the
category in the order the candidate's page shows it, the old version beside the new."""

import pytest

from accounts.enums import CandidateStatus
from materials.services import image_delete, image_upload
from review import services
from tests import photos
from tests.factories.accounts import PASSWORD, site_reviewer
from tests.factories.review import candidate_with_photos
from tests.staff import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _current(desk) -> str:
    return desk.locator("#workbench .photo.current").get_attribute("id")


def test_j_and_k_step_through_the_replacement_in_the_returned_photos_place(page, live_server):
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED, photos=3)
    first, second, third = imgs
    reviewer = site_reviewer(candidate.site)
    services.image_approve(image=first, by=reviewer)
    services.image_return(image=second, by=reviewer, reason="图片不清晰")
    services.image_approve(image=third, by=reviewer)
    candidate = services.candidate_return(candidate=candidate, by=reviewer)
    image_delete(candidate=candidate, image=second)
    new = image_upload(
        candidate=candidate,
        category=cats[0],
        file=photos.upload(photos.make_typical_jpeg(seed=5)),
    ).image
    services.candidate_resubmit(candidate=candidate)

    ctx = page.context.browser.new_context(
        base_url=base, viewport={"width": 1366, "height": 768}, locale="zh-CN"
    )
    ctx.set_default_timeout(15_000)
    desk = ctx.new_page()
    browser_login(desk, reviewer, password=PASSWORD, base=base)
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")
    # The page opens at the one photo still to decide: the replacement, 2nd of 3.
    assert _current(desk) == f"photo-{new.pk}"
    assert "第 2 / 3 张" in desk.locator(f"#photo-{new.pk} h2").inner_text()
    assert desk.locator(f"#photo-{new.pk} .viewer-old").is_visible()
    assert "图片不清晰" in desk.locator(f"#photo-{new.pk} .viewer-old").inner_text()
    desk.keyboard.press("k")
    assert _current(desk) == f"photo-{first.pk}"
    desk.keyboard.press("j")
    assert _current(desk) == f"photo-{new.pk}"
    desk.keyboard.press("j")
    assert _current(desk) == f"photo-{third.pk}"
    chips = desk.locator("#filmstrip .chip").evaluate_all(
        "(chips) => chips.map((c) => c.getAttribute('data-goto'))"
    )
    assert chips == [str(first.pk), str(new.pk), str(third.pk)]
    ctx.close()
