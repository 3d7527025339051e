"""The reviewer's candidate page in Chromium, laid out for throughput: the keyboard journey
through a clean 8-photo candidate, the photo fitted into its box at every rotation, zoom and
pan, the replaced version beside its replacement, an error at the control that caused it
(with and without JavaScript), and phone widths without sideways scrolling.

Times are printed (bench/workbench.py prints them against a baseline), never asserted."""

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.enums import CandidateStatus
from demo.seed.review import seed_return_reasons
from materials.enums import ImageStatus
from materials.models import MaterialImage
from review.enums import EventAction
from review.models import Feedback, ReviewClaim, ReviewEvent, ReviewNote
from tests.factories.accounts import PASSWORD, province_reviewer, site_reviewer
from tests.factories.materials import MaterialImageFactory
from tests.factories.review import candidate_with_photos
from tests.photos import make_jpeg
from tests.review.workbench_journey import clear_candidate_by_keyboard
from tests.staff import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = CandidateStatus


def _desk(page, base: str, *, width: int = 1366, height: int = 768, js: bool = True):
    ctx = page.context.browser.new_context(
        base_url=base,
        viewport={"width": width, "height": height},
        locale="zh-CN",
        java_script_enabled=js,
    )
    ctx.set_default_timeout(15_000)
    return ctx.new_page()


def _login(pg, base, user):
    browser_login(pg, user, password=PASSWORD, base=base)


def _display(width: int, height: int) -> ContentFile:
    return ContentFile(make_jpeg(width, height, quality=80), name="display.jpg")


def test_keyboard_reviewer_clears_a_clean_8_photo_candidate_in_10_keys(page, live_server):
    base = live_server.url
    first, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=4)
    second, _c, _i = candidate_with_photos(
        status=S.SUBMITTED, site=first.site, photos=2, categories=cats
    )
    second.submitted_at = first.submitted_at + dt.timedelta(seconds=1)
    second.save(update_fields=["submitted_at"])
    desk = _desk(page, base)
    reviewer = site_reviewer(first.site)
    _login(desk, base, reviewer)
    desk.goto(f"/review/c/{first.pk}/")
    assert not ReviewClaim.objects.exists()  # the page shown claims nothing

    journey = clear_candidate_by_keyboard(desk, photos=8)

    # One key per photo to look at it (the first is shown on arrival), ⇧A and P: at most 10.
    assert len(journey.keys) <= 10, journey.keys
    assert journey.shown == [f"photo-{img.pk}" for img in imgs[1:]]
    assert re.search(rf"/review/c/{second.pk}/", desk.url), desk.url
    first.refresh_from_db()
    assert first.status == S.SITE_PASSED
    assert MaterialImage.objects.filter(candidate=first, status=ImageStatus.APPROVED).count() == 8
    assert "已考点通过" in desk.content()
    # Every photo was recorded once, in the order the reviewer saw them, before the pass.
    assert _photos_recorded(first) == [img.pk for img in imgs]
    assert ReviewEvent.objects.filter(candidate=first).order_by("id").last().action == (
        EventAction.SITE_PASS
    )
    # The pass claimed the next candidate, and only it; showing its page claimed nothing more.
    assert list(ReviewClaim.objects.values_list("candidate_id", "reviewer_id")) == [
        (second.pk, reviewer.pk)
    ]
    print(
        "\nworkbench keyboard journey:",
        f"{len(journey.keys)} keys;",
        "switch ms",
        [round(t, 1) for t in journey.switch_ms],
        f"; next candidate ready {journey.next_ready_ms:.0f} ms",
    )
    desk.context.close()


def _photos_recorded(candidate) -> list[int]:
    return list(
        ReviewEvent.objects.filter(candidate=candidate, action=EventAction.IMAGE_VIEW)
        .order_by("id")
        .values_list("image_id", flat=True)
    )


def test_photos_loaded_ahead_are_recorded_only_when_shown(page, live_server):
    from tests.conftest import wait_for

    base = live_server.url
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=4)
    desk = _desk(page, base)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")
    # The two photos after the one shown are loaded ahead (with the page's token) ...
    ahead = """(ids) => ids.every((id) => {
      const img = document.querySelector(`#photo-${id} .viewer .photo-img`);
      return img.hasAttribute('data-ahead') && img.complete && img.naturalWidth > 0;
    })"""
    desk.wait_for_function(ahead, arg=[imgs[1].pk, imgs[2].pk])
    desk.wait_for_load_state("networkidle")
    # ... and only the photo on screen is recorded.
    assert _photos_recorded(candidate) == [imgs[0].pk]

    desk.keyboard.press("j")  # the second photo is shown: the page reports it
    assert wait_for(lambda: _photos_recorded(candidate) == [imgs[0].pk, imgs[1].pk], timeout=10)
    desk.wait_for_function(ahead, arg=[imgs[3].pk])
    desk.wait_for_load_state("networkidle")
    assert _photos_recorded(candidate) == [imgs[0].pk, imgs[1].pk]
    # Back to the first: already recorded, not again.
    desk.keyboard.press("k")
    desk.wait_for_load_state("networkidle")
    assert _photos_recorded(candidate) == [imgs[0].pk, imgs[1].pk]
    desk.context.close()


def test_photos_shown_while_a_report_is_on_its_way_go_in_one_report_before_a_decision(
    page, live_server
):
    """J pressed quickly: the photos shown while the page's report is on its way are
    reported together in the next post, in the order shown; a decision posted meanwhile
    (⇧A) closes that report: the photos shown after it are recorded after the decision."""
    from tests.conftest import wait_for

    base = live_server.url
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=3)
    desk = _desk(page, base)
    _login(desk, base, site_reviewer(candidate.site))
    reports, held = [], []

    def hold_first(route):
        reports.append(route.request.post_data)
        if len(reports) == 1:
            held.append(route)  # on its way until released below
        else:
            route.continue_()

    desk.route("**/shown/", hold_first)
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")
    desk.keyboard.press("j")  # photo 2: its report is held
    desk.wait_for_function(
        "(n) => document.querySelector('.photo.current').id === n", arg=f"photo-{imgs[1].pk}"
    )
    wait_for(lambda: len(held) == 1, timeout=10)
    desk.keyboard.press("j")  # photos 3 and 4 wait in one report
    desk.keyboard.press("j")
    desk.wait_for_function(
        "(n) => document.querySelector('.photo.current').id === n", arg=f"photo-{imgs[3].pk}"
    )
    desk.keyboard.press("Shift+A")  # ⇧A: a decision, which closes that report
    desk.keyboard.press("j")  # photo 5: reported after the decision
    desk.wait_for_function(
        "(n) => document.querySelector('.photo.current').id === n", arg=f"photo-{imgs[4].pk}"
    )
    held[0].continue_()
    desk.wait_for_function("() => !document.querySelector('#approve-all form')")
    wait_for(lambda: len(_photos_recorded(candidate)) == 5, timeout=10)
    desk.wait_for_load_state("networkidle")
    assert _photos_recorded(candidate) == [img.pk for img in imgs[:5]]
    assert len(reports) == 3  # photo 2; photos 3 and 4; photo 5 (after ⇧A)
    events = list(
        ReviewEvent.objects.filter(candidate=candidate)
        .order_by("id")
        .values_list("action", "image_id")
    )
    approved = events.index((EventAction.IMAGE_APPROVE, imgs[4].pk))
    assert events.index((EventAction.IMAGE_VIEW, imgs[3].pk)) < approved
    assert events.index((EventAction.IMAGE_VIEW, imgs[4].pk)) > approved
    desk.context.close()


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080), (768, 1024)])
def test_rotated_photo_stays_inside_its_box(page, live_server, width, height):
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=0)
    MaterialImageFactory(candidate=candidate, category=cats[0], display=_display(1600, 1000))
    desk = _desk(page, base, width=width, height=height)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    img = desk.locator(".photo.current .viewer .photo-img")
    img.wait_for()
    desk.wait_for_function(
        "() => { const i = document.querySelector('.photo.current .photo-img');"
        " return i.complete && i.naturalWidth && i.style.width; }"
    )
    for rotation in (0, 90, 180, 270):
        assert img.get_attribute("data-rot") == str(rotation)
        box, frame = desk.evaluate(
            "() => { const i = document.querySelector('.photo.current .viewer .photo-img');"
            " const b = i.getBoundingClientRect(), f = i.closest('.viewer').getBoundingClientRect();"
            " return [[b.left, b.top, b.right, b.bottom], [f.left, f.top, f.right, f.bottom]]; }"
        )
        assert box[0] >= frame[0] - 1 and box[1] >= frame[1] - 1, (rotation, box, frame)
        assert box[2] <= frame[2] + 1 and box[3] <= frame[3] + 1, (rotation, box, frame)
        # Fitted: it fills the box in one direction.
        assert (box[2] - box[0]) >= (frame[2] - frame[0]) - 2 or (box[3] - box[1]) >= (
            frame[3] - frame[1]
        ) - 2, (rotation, box, frame)
        desk.keyboard.press("]")
    desk.context.close()


# Phones, an upright tablet and a laptop; a landscape ID-card photo and an upright one.
@pytest.mark.parametrize(
    "width,height", [(390, 844), (360, 740), (768, 1024), (1366, 768)], ids=lambda n: str(n)
)
@pytest.mark.parametrize("photo", [(1600, 1000), (1000, 1600)], ids=["landscape", "portrait"])
def test_photo_sits_at_the_top_of_its_box_at_every_rotation(
    page, live_server, width, height, photo
):
    # A photo shorter than its box was drawn in the box's middle: on a phone a landscape
    # photo had an empty band of some 150 px above it. It is drawn at the top, centred
    # across, inside the box and filling it one way.
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=0)
    MaterialImageFactory(candidate=candidate, category=cats[0], display=_display(*photo))
    desk = _desk(page, base, width=width, height=height)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_function(
        "() => { const i = document.querySelector('.photo.current .viewer .photo-img');"
        " return i && i.complete && i.naturalWidth && i.closest('.viewer.fitted'); }"
    )
    for rotation in (0, 90, 180, 270):
        box, frame = _photo_and_its_box(desk)
        assert desk.locator(".photo.current .photo-img").get_attribute("data-rot") == str(rotation)
        assert abs(box[1] - frame[1]) <= 1, (rotation, box, frame)  # no band above
        assert box[3] <= frame[3] + 1, (rotation, box, frame)
        assert abs((box[0] - frame[0]) - (frame[2] - box[2])) <= 1, (rotation, box, frame)
        assert (box[2] - box[0]) >= (frame[2] - frame[0]) - 2 or (box[3] - box[1]) >= (
            frame[3] - frame[1]
        ) - 2, (rotation, box, frame)
        desk.keyboard.press("]")
    # Zoomed in past the box's height, it is centred again and can be panned both ways.
    for _ in range(4):
        desk.keyboard.press("+")
    box, frame = _photo_and_its_box(desk)
    assert box[1] < frame[1] - 1 and box[3] > frame[3] + 1, (box, frame)
    desk.keyboard.press("0")
    box, frame = _photo_and_its_box(desk)
    assert abs(box[1] - frame[1]) <= 1, (box, frame)
    desk.context.close()


@pytest.mark.parametrize("width,height", [(390, 844), (768, 1024)])
def test_photo_at_the_top_of_its_box_without_javascript(page, live_server, width, height):
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=0)
    MaterialImageFactory(candidate=candidate, category=cats[0], display=_display(1600, 1000))
    desk = _desk(page, base, width=width, height=height, js=False)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_load_state("load")
    box, frame = _photo_and_its_box(desk)
    assert abs(box[1] - frame[1]) <= 1, (box, frame)
    assert box[3] < frame[3] and abs((box[0] - frame[0]) - (frame[2] - box[2])) <= 1, (box, frame)
    desk.context.close()


def _photo_and_its_box(desk) -> tuple[list[float], list[float]]:
    """The shown photo's drawn edges (rotated and zoomed) and its box's: left, top, right,
    bottom."""
    return desk.evaluate(
        "() => { const i = document.querySelector('.photo.current .viewer .photo-img');"
        " const b = i.getBoundingClientRect(), f = i.closest('.viewer').getBoundingClientRect();"
        " return [[b.left, b.top, b.right, b.bottom], [f.left, f.top, f.right, f.bottom]]; }"
    )


def test_zoom_by_wheel_and_pan_by_drag(page, live_server):
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=0)
    MaterialImageFactory(candidate=candidate, category=cats[0], display=_display(1600, 1200))
    desk = _desk(page, base)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    img = desk.locator(".photo.current .viewer .photo-img")
    desk.wait_for_function("() => document.querySelector('.photo.current .viewer.fitted')")
    viewer = desk.locator(".photo.current .viewer").bounding_box()
    cx, cy = viewer["x"] + viewer["width"] / 2, viewer["y"] + viewer["height"] / 2
    desk.mouse.move(cx, cy)
    desk.mouse.wheel(0, -600)
    desk.wait_for_function(
        "() => Number(document.querySelector('.photo.current .viewer .photo-img').dataset.zoom) > 1.5"
    )
    before = img.bounding_box()
    desk.mouse.down()
    desk.mouse.move(cx + 120, cy + 80, steps=4)
    desk.mouse.up()
    after = img.bounding_box()
    assert after["x"] > before["x"] + 50 and after["y"] > before["y"] + 30, (before, after)
    desk.keyboard.press("0")
    assert img.get_attribute("data-zoom") == "1.00"
    desk.context.close()


def test_replacement_shown_side_by_side_with_the_version_it_replaced(page, live_server):
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=1)
    old = imgs[0]
    old.status = ImageStatus.RETURNED
    old.return_reason = "图片不清晰"
    old.removed_at = timezone.now()
    old.save()
    new = MaterialImageFactory(candidate=candidate, category=cats[0], replaces=old)
    desk = _desk(page, base)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    viewers = desk.locator(f"#photo-{new.pk} .viewer")
    assert viewers.count() == 2
    desk.wait_for_function(
        f"() => document.querySelectorAll('#photo-{new.pk} .viewer.fitted').length === 2"
    )
    left, right = viewers.nth(0).bounding_box(), viewers.nth(1).bounding_box()
    assert abs(left["y"] - right["y"]) < 1 and left["x"] + left["width"] <= right["x"] + 1
    assert "图片不清晰" in viewers.nth(1).inner_text()
    desk.keyboard.press("c")  # the comparison off and on again
    assert not viewers.nth(1).is_visible()
    desk.keyboard.press("c")
    assert viewers.nth(1).is_visible()
    desk.context.close()


def test_return_without_reason_error_beside_the_reason_with_focus_there(page, live_server):
    base = live_server.url
    seed_return_reasons()
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2)
    desk = _desk(page, base)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.evaluate("window.__samePage = true")
    desk.keyboard.press("r")
    assert desk.evaluate("document.activeElement.id") == f"reason-{imgs[0].pk}"
    desk.locator(f"#panel-{imgs[0].pk}").get_by_role("button", name="退回此图").click()
    error = desk.locator(f"#reason-error-{imgs[0].pk}")
    error.wait_for()
    assert error.inner_text() == "请选择退回原因。"
    assert desk.evaluate("window.__samePage === true")  # no reload
    assert desk.evaluate("document.activeElement.id") == f"reason-{imgs[0].pk}"
    _assert_beside(desk, f"#reason-{imgs[0].pk}", f"#reason-error-{imgs[0].pk}")
    # The photo stays shown; nothing changed.
    assert desk.evaluate("document.querySelector('.photo.current').id") == f"photo-{imgs[0].pk}"
    imgs[0].refresh_from_db()
    assert imgs[0].status == ImageStatus.PENDING
    # With a reason it goes through and the next photo is shown.
    desk.locator(f"#reason-{imgs[0].pk}").select_option(label="图片不清晰")
    desk.locator(f"#panel-{imgs[0].pk}").get_by_role("button", name="退回此图").click()
    desk.wait_for_function(
        f"() => document.querySelector('.photo.current').id === 'photo-{imgs[1].pk}'"
    )
    desk.locator(f"#photo-{imgs[0].pk} .returned").wait_for(state="attached")
    desk.context.close()


def test_approve_rest_after_a_return_leads_to_return_to_candidate_not_the_pass(page, live_server):
    # A photo marked 退回 stops the pass: after ⇧A the focus goes to 退回考生, never to
    # 考点通过并下一位, which the server would refuse.
    base = live_server.url
    seed_return_reasons()
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=2)
    desk = _desk(page, base)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.locator(f"#reason-{imgs[0].pk}").select_option(label="图片不清晰")
    desk.locator(f"#panel-{imgs[0].pk}").get_by_role("button", name="退回此图").click()
    desk.locator(f"#photo-{imgs[0].pk} .returned").wait_for(state="attached")
    desk.keyboard.press("Shift+A")
    desk.locator(f"#photo-{imgs[1].pk} .ok").wait_for(state="attached")
    desk.wait_for_function(
        "() => document.activeElement && document.activeElement.closest('#decisions')"
    )
    assert desk.evaluate("document.activeElement.textContent.trim()") == "退回考生"
    if desk.evaluate("document.activeElement.tagName") == "SUMMARY":
        desk.keyboard.press("Enter")  # opens the form; its button takes the next Tab
        desk.locator("#decide-return").wait_for(state="visible")
        desk.locator(".return-candidate").get_by_role("button", name="退回考生", exact=True).focus()
    imgs[1].refresh_from_db()
    assert imgs[1].status == ImageStatus.APPROVED
    desk.keyboard.press("Enter")  # 退回考生: the candidate goes back with the returned photo
    desk.wait_for_function("() => document.body.innerText.includes('已退回')")
    candidate.refresh_from_db()
    assert candidate.status == S.RETURNED
    desk.context.close()


def test_reject_posted_while_approve_rest_is_on_its_way_goes_through_with_its_reason(
    page, live_server
):
    """审核拒绝 submitted while ⇧A's answer is held back: the question is asked once, at
    once, and the rejection goes with the reason typed, after ⇧A is answered."""
    from tests.conftest import wait_for

    base = live_server.url
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=2)
    desk = _desk(page, base)
    _login(desk, base, site_reviewer(candidate.site))
    held, questions = [], []
    desk.route("**/approve-remaining/", lambda route: held.append(route))
    desk.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")
    desk.keyboard.press("Shift+A")  # its answer is held until the rejection is submitted
    wait_for(lambda: len(held) == 1, timeout=10)
    desk.locator("#decisions summary", has_text="审核拒绝").click()
    desk.locator("#reject-message").fill("证件照片系伪造")
    desk.locator("#decide-reject").get_by_role("button", name="审核拒绝").click()
    assert questions == ["审核拒绝后不可撤销，确定拒绝吗？"]  # asked before waiting
    held[0].continue_()
    desk.wait_for_function("() => document.body.innerText.includes('已审核拒绝')")
    candidate.refresh_from_db()
    assert candidate.status == S.REJECTED
    assert (
        MaterialImage.objects.filter(candidate=candidate, status=ImageStatus.APPROVED).count() == 4
    )
    assert list(Feedback.objects.filter(candidate=candidate).values_list("action", "message")) == [
        (EventAction.REJECT, "证件照片系伪造")
    ]
    assert ReviewEvent.objects.filter(candidate=candidate, action=EventAction.REJECT).count() == 1
    assert questions == ["审核拒绝后不可撤销，确定拒绝吗？"]
    desk.context.close()


def test_reject_cancelled_while_approve_rest_is_on_its_way_sends_nothing_and_shows_the_answer(
    page, live_server
):
    from tests.conftest import wait_for

    base = live_server.url
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=2)
    desk = _desk(page, base)
    _login(desk, base, site_reviewer(candidate.site))
    held, questions = [], []
    desk.route("**/approve-remaining/", lambda route: held.append(route))
    desk.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")
    desk.keyboard.press("Shift+A")
    wait_for(lambda: len(held) == 1, timeout=10)
    desk.locator("#decisions summary", has_text="审核拒绝").click()
    desk.locator("#reject-message").fill("证件照片系伪造")
    desk.locator("#decide-reject").get_by_role("button", name="审核拒绝").click()
    assert questions == ["审核拒绝后不可撤销，确定拒绝吗？"]
    held[0].continue_()
    # The page stays and shows ⇧A's answer; nothing else was sent.
    desk.wait_for_function("() => document.body.innerText.includes('已通过 4 张待审核图片')")
    desk.wait_for_load_state("networkidle")
    candidate.refresh_from_db()
    assert candidate.status == S.SUBMITTED
    assert not ReviewEvent.objects.filter(candidate=candidate, action=EventAction.REJECT).exists()
    assert questions == ["审核拒绝后不可撤销，确定拒绝吗？"]
    desk.context.close()


def test_province_return_to_site_posted_while_approve_rest_is_on_its_way_keeps_its_message(
    page, live_server
):
    from tests.conftest import wait_for

    base = live_server.url
    candidate, _cats, imgs = candidate_with_photos(status=S.SITE_PASSED, photos=2, categories=2)
    desk = _desk(page, base)
    _login(desk, base, province_reviewer(candidate.province))
    held = []
    desk.route("**/approve-remaining/", lambda route: held.append(route))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")
    desk.keyboard.press("Shift+A")
    wait_for(lambda: len(held) == 1, timeout=10)
    desk.locator("#decisions summary", has_text="退回考点").click()
    desk.locator("#site-message").fill("请核对证件照片")
    desk.locator("#decide-return_to_site").get_by_role("button", name="退回考点").click()
    held[0].continue_()
    desk.wait_for_function("() => document.body.innerText.includes('已退回考点重新审核')")
    candidate.refresh_from_db()
    assert candidate.status == S.SUBMITTED
    assert list(ReviewNote.objects.filter(candidate=candidate).values_list("text", flat=True)) == [
        "【考区退回考点】请核对证件照片"
    ]
    desk.context.close()


def test_return_without_reason_without_javascript_error_beside_the_reason(page, live_server):
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=3)
    desk = _desk(page, base, js=False)
    _login(desk, base, site_reviewer(candidate.site))
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.locator(f"#panel-{imgs[2].pk} input[name=text]").fill("")
    desk.locator(f"#panel-{imgs[2].pk}").get_by_role("button", name="退回此图").click()
    error = desk.locator(f"#reason-error-{imgs[2].pk}")
    error.wait_for()
    assert error.inner_text() == "请选择退回原因。"
    assert desk.evaluate("document.activeElement.id") == f"reason-{imgs[2].pk}"
    _assert_beside(desk, f"#reason-{imgs[2].pk}", f"#reason-error-{imgs[2].pk}")
    imgs[2].refresh_from_db()
    assert imgs[2].status == ImageStatus.PENDING
    desk.context.close()


def _assert_beside(desk, control: str, message: str) -> None:
    """The message is within the view and right under its control."""
    c = desk.locator(control).bounding_box()
    m = desk.locator(message).bounding_box()
    height = desk.viewport_size["height"]
    assert c["y"] >= 0 and m["y"] + m["height"] <= height, (c, m, height)
    assert 0 <= m["y"] - (c["y"] + c["height"]) < 40, (c, m)


@pytest.mark.parametrize("width", [360, 390])
def test_phone_queue_headers_badges_and_dates_on_one_line_and_candidate_page_without_sideways_scroll(
    page, live_server, width
):
    base = live_server.url
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=3)
    desk = _desk(page, base, width=width, height=800)
    _login(desk, base, site_reviewer(candidate.site))
    headers = desk.evaluate(
        "Array.from(document.querySelectorAll('table.queue th'), th =>"
        " [th.textContent.trim(), th.getBoundingClientRect().height,"
        "  parseFloat(getComputedStyle(th).lineHeight) || 24,"
        "  parseFloat(getComputedStyle(th).paddingTop) + parseFloat(getComputedStyle(th).paddingBottom)])"
    )
    assert headers
    for text, h, line, padding in headers:
        assert h - padding < 1.5 * line, (text, h, line)
    # The status badge and the date of each row on one line too.
    badges = desk.evaluate(
        "Array.from(document.querySelectorAll('table.queue tbody .status'), e =>"
        " [e.textContent.trim(), e.getBoundingClientRect().height,"
        "  parseFloat(getComputedStyle(e).lineHeight) || 20,"
        "  parseFloat(getComputedStyle(e).paddingTop) + parseFloat(getComputedStyle(e).paddingBottom)])"
    )
    assert badges
    for text, h, line, padding in badges:
        assert h - padding < 1.5 * line, (text, h, line)
    dates = desk.evaluate(
        "Array.from(document.querySelectorAll('table.queue tbody .nowrap'), e =>"
        " [e.textContent.trim(), e.getClientRects().length])"
    )
    assert dates
    for text, lines in dates:
        assert lines == 1, (text, lines)
    assert desk.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    desk.goto(f"/review/c/{candidate.pk}/")
    desk.wait_for_function("() => document.querySelector('.photo.current .viewer.fitted')")
    wide = desk.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(e =>"
        " e.getBoundingClientRect().right > window.innerWidth + 1"
        " && !e.closest('.table-scroll, .history-card, .viewer')).map(e => e.outerHTML.slice(0, 80))"
    )
    assert desk.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide
    desk.context.close()
