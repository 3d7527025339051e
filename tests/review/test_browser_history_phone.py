"""The candidate's history (操作记录) on the reviewer's page, read on a phone: each row a small
card with the action in full, not five columns with the action a few characters wide."""

import pytest

from accounts.enums import CandidateStatus
from review import services
from tests.factories.accounts import PASSWORD, site_reviewer
from tests.factories.review import candidate_with_photos
from tests.staff import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = """Array.from(document.querySelectorAll('table.history tbody tr'), tr => {
  const cells = Array.from(tr.cells, td => td.getBoundingClientRect());
  return {height: tr.getBoundingClientRect().height, action: cells[2].width,
          right: Math.max(...cells.map(c => c.right)), head: tr.closest('table').tHead
            .getBoundingClientRect().height};
})"""


def _reviewed(page, live_server, *, width: int, height: int):
    candidate, _cats, imgs = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, photos=2, categories=3
    )
    reviewer = site_reviewer(candidate.site)
    services.image_return(image=imgs[0], by=reviewer, reason="图片不清晰，请在光线充足处重新拍摄")
    for image in imgs[1:]:
        services.image_approve(image=image, by=reviewer)
    services.candidate_return(candidate=candidate, by=reviewer, message="请更换第一张")
    desk = page.context.browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}, locale="zh-CN"
    )
    desk.set_default_timeout(15_000)
    tab = desk.new_page()
    browser_login(tab, reviewer, password=PASSWORD, base=live_server.url)
    tab.goto(f"/review/c/{candidate.pk}/")
    tab.locator("table.history tbody tr").first.wait_for(state="attached")
    return tab


def test_phone_history_rows_are_cards_with_the_action_in_full(page, live_server):
    tab = _reviewed(page, live_server, width=390, height=844)
    rows = tab.evaluate(ROWS)
    assert len(rows) >= 6
    for row in rows:
        # The action spans the card (the card's width less the page's margins), never a
        # column of one or two characters; no row runs off the screen.
        assert row["action"] > 280, row
        assert row["right"] <= 390, row
        assert row["height"] < 140, row
    assert rows[0]["head"] <= 1  # the column heads are for screen readers only
    # Each cell after the action says what it is.
    labels = tab.evaluate(
        "Array.from(document.querySelectorAll('table.history tbody td[data-label]:not(:empty)'),"
        " td => getComputedStyle(td, '::before').content)"
    )
    assert labels and all(label in ('"状态："', '"地址："') for label in labels), labels
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    tab.context.close()


def test_desktop_history_stays_a_table_with_its_heads(page, live_server):
    tab = _reviewed(page, live_server, width=1366, height=768)
    rows = tab.evaluate(ROWS)
    assert rows and rows[0]["head"] > 10
    assert (
        tab.evaluate("getComputedStyle(document.querySelector('table.history tbody tr')).display")
        == "table-row"
    )
    assert tab.evaluate(
        "getComputedStyle(document.querySelector('table.history td[data-label]'), '::before')"
        ".content"
    ) in ("none", "normal")
    tab.context.close()
