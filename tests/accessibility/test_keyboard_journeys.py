"""Keyboard only, with the focus in sight at every step (Tab, Shift+Tab, Enter, Space, Escape
and the workbench's letter keys; no mouse, no element.click()):

- the candidate, on a phone: skip to the content, reach the upload control of a category,
  choose a photo (the file chooser opened by Space), see it in the viewer, submit;
- the reviewer, at a desk: log in, open a candidate from the queue, look through the photos
  with J/K, approve with A, return one with a reason chosen by the arrow keys (R), return the
  candidate, go on with N, approve the rest with ⇧A and pass with P."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from accounts.entry import payload_for_candidate, sign_entry_token
from accounts.enums import CandidateStatus
from demo.seed.review import seed_return_reasons
from materials.enums import ImageStatus
from materials.models import MaterialImage
from tests import photos
from tests.accessibility.axe import DESKTOP
from tests.accessibility.keyboard import assert_focus_visible, focused, tab_to
from tests.factories.accounts import PASSWORD, CandidateFactory, site_reviewer
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.factories.review import candidate_with_photos
from tests.staff import authenticator, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = CandidateStatus


def _settled(page, section_id: str, count: str):
    page.wait_for_function(
        "([id, text]) => { const s = document.getElementById(id);"
        " return s && !s.hasAttribute('data-processing') && !s.hasAttribute('aria-busy')"
        " && s.querySelector('.count').textContent.trim() === text; }",
        arg=[section_id, count],
    )


def _confirm_if_asked(page) -> None:
    """The submit may ask for confirmation in a dialog: the focus is then in it, and the
    confirming button is reached by Tab and pressed with Enter."""
    try:
        page.locator("dialog[open]").wait_for(timeout=1500)
    except Exception:  # noqa: BLE001 — Playwright's TimeoutError: no dialog, already sent
        return
    dialog = page.locator("dialog[open]")
    assert page.evaluate(
        "() => document.querySelector('dialog[open]').contains(document.activeElement)"
    ), "the dialog opened without the focus in it"
    info = focused(page)
    if not re.search("提交|确定|确认", info["text"]):
        info = tab_to(page, lambda i: re.search("提交|确定|确认", i["text"]) is not None, limit=8)
    page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")


def test_candidate_uploads_looks_and_submits_by_keyboard_on_a_phone(page):
    candidate = CandidateFactory()
    common = {"province": candidate.province, "exam_year": candidate.exam_year}
    id_card = MaterialCategoryFactory(
        name="身份证明", required=True, min_count=2, max_count=2, order=1, **common
    )
    diploma = MaterialCategoryFactory(
        name="学历证明", required=True, min_count=1, max_count=2, order=2, **common
    )
    for _n in range(2):
        MaterialImageFactory(candidate=candidate, category=id_card)

    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    page.locator("html.js").wait_for(state="attached")

    # 1. The first Tab is the skip link, shown when focused; Enter moves into the content.
    info = tab_to(page, lambda i: True, limit=1)
    assert "skip-link" in info["html"] and info["text"] == "跳到正文"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    # 2. On to the diploma's upload control (its label draws the ring); Space opens the
    #    file chooser, as it would the phone's photo picker.
    tab_to(page, lambda i: i["id"] == f"file-{diploma.pk}")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(
        files=[
            {"name": "diploma.jpg", "mimeType": "image/jpeg", "buffer": photos.make_jpeg(1200, 900)}
        ]
    )
    _settled(page, f"cat-{diploma.pk}", "1 / 2")
    image = MaterialImage.objects.get(candidate=candidate, category=diploma)
    # The focus is back on the same control (the section was replaced around it).
    assert assert_focus_visible(page)["id"] == f"file-{diploma.pk}"

    # 3. See it: back to its thumbnail, Enter opens the viewer with the focus on 关闭,
    #    Escape closes it and the focus returns to the thumbnail.
    thumb = tab_to(page, lambda i: i["href"] == f"/materials/image/{image.pk}/display/", back=True)
    assert "学历证明 第 1 张" in page.locator(f"#photo-{image.pk} img").get_attribute("alt")
    page.keyboard.press("Enter")
    page.locator("#viewer[open]").wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector('#viewer .viewer-image');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    assert assert_focus_visible(page)["text"] == "关闭"
    page.keyboard.press("Escape")
    page.locator("#viewer").wait_for(state="hidden")
    assert assert_focus_visible(page)["href"] == thumb["href"]

    # 4. Submit: Tab on to 提交审核, Enter (and the confirmation, if asked).
    info = tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "提交审核")
    # A browser's own confirm() takes no keys from Playwright: it is answered 确定 as the
    # candidate's Enter would (Playwright would otherwise dismiss it).
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    _confirm_if_asked(page)
    page.locator("#status-panel .status-submitted").wait_for()
    assert "上报完成，内容已锁定。" in page.locator("#status-panel").inner_text()
    candidate.refresh_from_db()
    assert candidate.status == S.SUBMITTED
    # The focus is taken to the status that says so, not lost to the page's top.
    info = focused(page)
    assert info is not None and info["id"] == "status-panel", info


def _current(page) -> str:
    return page.evaluate("document.querySelector('#workbench .photo.current').id")


def test_reviewer_logs_in_reviews_returns_and_passes_by_keyboard(page, live_server):
    seed_return_reasons()  # a transactional test may have flushed the migration's rows
    first, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=1)
    second, _c, more = candidate_with_photos(
        status=S.SUBMITTED, site=first.site, photos=1, categories=cats
    )
    second.submitted_at = first.submitted_at + dt.timedelta(seconds=1)
    second.save(update_fields=["submitted_at"])
    user = site_reviewer(first.site, first_name="考点审核员甲")
    device = authenticator(user)
    page.set_viewport_size(DESKTOP)

    # 1. Log in: the user name, Tab, the password, Enter; then the code and Enter.
    page.goto("/review/login/")
    tab_to(page, lambda i: i["id"] == "id_username")
    page.keyboard.type(user.username)
    tab_to(page, lambda i: i["id"] == "id_password", limit=1)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/2fa/\?"))
    if focused(page) is None or focused(page)["id"] != "id_token":
        tab_to(page, lambda i: i["id"] == "id_token")
    page.keyboard.type(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == "/review/")

    # 2. The queue: Tab to the first candidate's 报名号 and open it with Enter.
    tab_to(page, lambda i: i["href"].startswith(f"/review/c/{first.pk}/"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/review/c/{first.pk}/"))
    page.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")

    # 3. The first photo is shown with the focus on it; J and K move between the photos.
    assert assert_focus_visible(page)["id"] == f"photo-{imgs[0].pk}"
    page.keyboard.press("j")
    assert _current(page) == f"photo-{imgs[1].pk}"
    assert assert_focus_visible(page)["id"] == f"photo-{imgs[1].pk}"
    page.keyboard.press("k")
    assert _current(page) == f"photo-{imgs[0].pk}"

    # 4. A approves the photo shown; the next one to decide comes up.
    page.keyboard.press("a")
    page.wait_for_function(
        "(id) => document.getElementById(id).classList.contains('photo-approved')",
        arg=f"photo-{imgs[0].pk}",
    )
    assert _current(page) == f"photo-{imgs[1].pk}"

    # 5. R puts the focus on the reason; the arrow key chooses one, Tab to the note, typed,
    #    Tab to 退回此图, Enter.
    page.keyboard.press("r")
    info = assert_focus_visible(page)
    assert info["id"] == f"reason-{imgs[1].pk}", info
    page.keyboard.press("ArrowDown")
    reason = page.locator(f"#reason-{imgs[1].pk} option:checked").inner_text()
    assert reason and reason != "请选择标准原因"
    tab_to(page, lambda i: i["id"] == f"text-{imgs[1].pk}", limit=1)
    page.keyboard.type("请在光线充足处重拍")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "退回此图", limit=1)
    page.keyboard.press("Enter")
    page.locator(f"#photo-{imgs[1].pk} .returned").wait_for(state="attached")
    returned = MaterialImage.objects.get(pk=imgs[1].pk)
    assert returned.status == ImageStatus.RETURNED
    assert returned.return_reason == f"{reason}：请在光线充足处重拍"

    # 6. D goes to the decisions; Tab to 退回考生 (a folded section: Enter opens it), on to
    #    its button, Enter: the candidate is returned.
    page.keyboard.press("Escape")
    page.keyboard.press("d")
    assert assert_focus_visible(page)["tag"] == "button"
    tab_to(page, lambda i: i["tag"] == "summary" and i["text"] == "退回考生")
    page.keyboard.press("Enter")
    tab_to(page, lambda i: i["id"] == "return-message")
    page.keyboard.type("请按退回原因重新上传。")
    tab_to(page, lambda i: i["tag"] == "button" and i["text"] == "退回考生")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/review/c/{first.pk}/"))
    page.get_by_text("已退回考生").first.wait_for()
    first.refresh_from_db()
    assert first.status == S.RETURNED

    # 7. N opens the next candidate; ⇧A approves its photos, P passes it.
    page.wait_for_load_state("load")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(rf"/review/c/{second.pk}/"))
    page.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")
    assert assert_focus_visible(page)["id"] == f"photo-{more[0].pk}"
    page.keyboard.press("Shift+A")
    here = page.url
    page.keyboard.press("p")
    page.wait_for_url(lambda url: url != here, wait_until="load")
    second.refresh_from_db()
    assert second.status == S.SITE_PASSED
    assert MaterialImage.objects.get(pk=more[0].pk).status == ImageStatus.APPROVED
