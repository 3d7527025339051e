"""The whole journey in Chromium through nginx over HTTPS, on the production stack, in the
storage mode it was booted in (S3 with signed URLs, or filesystem with X-Accel-Redirect):
a new candidate enters by a signed link, activates with the SMS code the worker sent,
uploads three photos (one a 12-megapixel phone photo the page shrinks), which the worker
processes, and submits; the site reviewer returns one photo; the candidate replaces it and
resubmits; the site passes and the province approves; the candidate sees 审核通过.
Then what must stay private is tried from outside."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests import photos
from tests.stack.conftest import (
    STACK_CA,
    STACK_DIR,
    STACK_MODE,
    STACK_URL,
    Client,
    activated_candidate,
    candidate_client,
    entry_payload,
    entry_url,
    link_for,
    sms_lines,
    upload,
    wait_for,
)

pytestmark = [pytest.mark.stack]


def _wait_settled(page, category, text):
    page.wait_for_function(
        "([id, text]) => { const s = document.getElementById(id);"
        " return s && !s.hasAttribute('data-processing') && !s.hasAttribute('aria-busy')"
        " && s.querySelector('.count').textContent.trim() === text; }",
        arg=[f"cat-{category.pk}", text],
        timeout=90_000,
    )


def _sms_code(candidate_reg_no: str) -> str:
    from notifications.models import Notification

    def code_row():
        return (
            Notification.objects.filter(candidate__reg_no=candidate_reg_no, purpose="code")
            .order_by("-id")
            .first()
        )

    assert wait_for(lambda: code_row() is not None, timeout=30)
    match = re.search(r"\d{6}", code_row().text)
    assert match, code_row().text
    return match.group(0)


class PhotoLoads:
    """Every photo the browser loads: the permission-checked URL it asked for, and the final
    response that brought the bytes (after the redirect to a signed URL, in S3 mode)."""

    def __init__(self, page):
        self.loads: list[tuple[str, str, int, str]] = []
        page.on("response", self._response)

    def _response(self, response):
        first = response.request
        while first.redirected_from is not None:
            first = first.redirected_from
        if "/materials/image/" not in first.url or 300 <= response.status < 400:
            return
        content_type = response.headers.get("content-type", "")
        self.loads.append((first.url, response.url, response.status, content_type))


def _login(page, user, password):
    from tests.staff import browser_login  # it reads the stack's database

    browser_login(page, user, password=password)


def _open(page, candidate):
    page.goto(f"/review/c/{candidate.pk}/")
    assert candidate.reg_no in page.content()


@pytest.mark.browser
def test_stack_candidate_and_reviewers_journey(place, stack_browser):
    from accounts.enums import CandidateStatus
    from accounts.models import Candidate
    from materials.enums import ImageStatus, ProcessingState
    from materials.models import MaterialImage
    from notifications.models import Notification

    # --- 1. Entry and activation ------------------------------------------------------
    payload = entry_payload(place, name="王小明")
    phone = "138" + payload["reg_no"][-8:]
    page = stack_browser()
    loads = PhotoLoads(page)
    link = entry_url(payload)
    page.goto(link)
    page.wait_for_url(re.compile(r"/activate/confirm/$"))
    assert page.url.startswith(STACK_URL)
    # The link carries the name and ID number: nginx logged the visit, not the token.
    access_log = (STACK_DIR / "log" / "nginx-access.log").read_text(errors="replace")
    assert re.search(r'"GET /entry/ HTTP/[\d.]+" 302 ', access_log)
    assert link.split("?t=")[1] not in access_log and payload["id_no"] not in access_log
    page.get_by_role("button", name="信息无误，下一步").click()
    page.wait_for_url(re.compile(r"/activate/consent/$"))
    page.locator("#id_agree").check()
    page.get_by_role("button", name="同意，下一步").click()
    page.wait_for_url(re.compile(r"/activate/phone/$"))
    page.locator("#id_phone").fill(phone)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/activate/phone/$"))
    assert page.locator("#demo-sms-code").count() == 0  # no demo banner in production
    page.locator("#id_code").fill(_sms_code(payload["reg_no"]))
    page.get_by_role("button", name="验证", exact=True).click()
    page.wait_for_url(re.compile(r"/activate/address/$"))
    page.locator("#id_address").fill("山东省济南市历下区经十路1号")
    page.get_by_role("button", name="提交，完成激活").click()
    page.wait_for_url(re.compile(r"/materials/$"))
    candidate = Candidate.objects.get(reg_no=payload["reg_no"])
    assert candidate.is_activated and candidate.phone == phone

    # --- 2. Three photos, one a 12-megapixel phone photo the page shrinks; the worker ---
    phone_photo = photos.make_phone_jpeg(seed=7)
    assert len(phone_photo) > 2_000_000
    page.locator(f"#file-{place.id_card.pk}").set_input_files(
        files=[{"name": "IMG_2041.JPG", "mimeType": "image/jpeg", "buffer": phone_photo}]
    )
    _wait_settled(page, place.id_card, "1 / 2")
    page.locator(f"#file-{place.id_card.pk}").set_input_files(
        files=[
            {
                "name": "back.jpg",
                "mimeType": "image/jpeg",
                "buffer": photos.make_jpeg(1200, 800, seed=8),
            }
        ]
    )
    _wait_settled(page, place.id_card, "2 / 2")
    page.locator(f"#file-{place.diploma.pk}").set_input_files(
        files=[
            {
                "name": "diploma.jpg",
                "mimeType": "image/jpeg",
                "buffer": photos.make_jpeg(1200, 800, seed=9),
            }
        ]
    )
    _wait_settled(page, place.diploma, "1 / 2")
    images = list(MaterialImage.objects.filter(candidate=candidate).order_by("pk"))
    assert len(images) == 3
    assert all(i.processing == ProcessingState.READY for i in images)
    assert all(i.display and i.thumbnail for i in images)
    assert images[0].size_bytes <= 204_800  # shrunk in the browser before it was sent
    for image in images:
        thumb = page.locator(f"#photo-{image.pk} img")
        thumb.wait_for()
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
        )

    page.locator("#status-panel").get_by_role("button", name="提交审核").click()
    page.locator("#confirm-submit").get_by_role("button", name="确认提交").click()
    page.locator(".submitted-message").wait_for()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED

    # --- 3. The site reviewer returns the first photo, approves the others --------------
    desk = stack_browser(phone=False)
    desk_loads = PhotoLoads(desk)
    _login(desk, place.site_user, place.password)
    assert candidate.reg_no in desk.content()
    _open(desk, candidate)
    # The photo's controls are in its panel beside it; the decisions post without a reload.
    first = desk.locator(f"#panel-{images[0].pk}")
    first.locator("select[name=reason]").select_option(label="图片不清晰")
    first.locator("input[name=text]").fill("请在光线充足处重拍")
    first.get_by_role("button", name=re.compile("退回此图")).click()
    desk.locator(f"#photo-{images[0].pk} .returned").wait_for(state="attached")
    for image in images[1:]:
        desk.locator(f"#panel-{image.pk}").get_by_role("button", name=re.compile("^通过")).click()
        desk.locator(f"#photo-{image.pk} .ok").wait_for(state="attached")
    desk.locator(".decision-more summary", has_text="退回考生").click()
    desk.locator(".return-candidate").get_by_role("button", name="退回考生", exact=True).click()
    desk.wait_for_url(re.compile(rf"/review/c/{candidate.pk}/"))
    assert "已退回考生" in desk.content()

    # --- 4. The candidate reads why, replaces the photo, resubmits ----------------------
    page.goto("/materials/")
    assert "图片不清晰：请在光线充足处重拍" in page.content()
    page.locator(f"#file-{place.id_card.pk}").set_input_files(
        files=[
            {
                "name": "again.jpg",
                "mimeType": "image/jpeg",
                "buffer": photos.make_jpeg(1200, 800, seed=10),
            }
        ]
    )
    page.wait_for_function(
        "() => !document.querySelector('.photo-returned')"
        " && !document.querySelector('[data-processing]')",
        timeout=90_000,
    )
    page.get_by_role("button", name="重新提交").first.click()
    page.locator("#confirm-submit").get_by_role("button", name="确认重新提交").click()
    page.locator("#status-panel .status-submitted").wait_for()
    new = MaterialImage.objects.get(
        candidate=candidate, removed_at__isnull=True, replaces=images[0]
    )
    assert new.processing == ProcessingState.READY

    # --- 5. The site passes, the province approves --------------------------------------
    _open(desk, candidate)
    desk.locator(f"#panel-{new.pk}").get_by_role("button", name=re.compile("^通过")).click()
    desk.locator(f"#photo-{new.pk} .ok").wait_for(state="attached")
    desk.get_by_role("button", name="考点通过", exact=True).click()
    desk.wait_for_url(re.compile(rf"/review/c/{candidate.pk}/"))
    assert "已考点通过" in desk.content()
    province = stack_browser(phone=False)
    _login(province, place.province_user, place.password)
    _open(province, candidate)
    province.get_by_role("button", name="审核通过", exact=True).click()
    province.wait_for_url(re.compile(rf"/review/c/{candidate.pk}/"))
    assert "已审核通过" in province.content()

    # --- 6. The candidate sees the result -------------------------------------------------
    page.goto("/materials/")
    assert page.locator("#status-panel .status").inner_text() == "审核通过"
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.APPROVED
    assert (
        MaterialImage.objects.filter(
            candidate=candidate, removed_at__isnull=True, status=ImageStatus.APPROVED
        ).count()
        == 3
    )

    # --- Every SMS row ends SENT, handed to the provider exactly once -------------------
    # The per-phone limit (1 a minute) may hold the result up to a minute after the return
    # notice, itself up to a minute after the code.
    rows = Notification.objects.filter(candidate=candidate).order_by("id")
    assert wait_for(lambda: all(r.status == "sent" for r in rows.all()), timeout=150), list(
        rows.values_list("purpose", "status")
    )
    assert list(rows.values_list("purpose", flat=True)) == ["code", "return", "result"]
    for row in rows:
        assert sms_lines(row) == 1, row.text
        assert row.provider_id

    # --- The photos came from the store: signed URLs (S3) or nginx's X-Accel (files) ----
    every_load = loads.loads + desk_loads.loads
    assert len(every_load) >= 4, every_load
    for asked, served, status, content_type in every_load:
        assert status == 200 and content_type == "image/jpeg", (asked, served, status)
        if STACK_MODE == "s3":
            assert served.startswith(f"{STACK_URL}/yishen/"), served
            assert "X-Amz-Signature=" in served and "X-Amz-Expires=" in served
        else:
            assert served == asked  # answered in place: nginx's internal redirect


@pytest.mark.browser
def test_stack_blurred_photo_shows_its_advice_after_the_precheck_without_a_reload(
    place, stack_browser, services
):
    """The pipeline and the pre-check run on two workers: the page shows the thumbnail when
    the first is done and keeps polling until the second has given its advice. The precheck
    worker is held back until the thumbnail is there, so the advice comes strictly later."""
    from materials.models import MaterialImage

    candidate = activated_candidate(place)
    page = stack_browser()
    page.goto(link_for(candidate))
    page.wait_for_url(re.compile(r"/materials/$"))
    page.evaluate("window.sameDocument = true")
    services.stop("precheck")
    page.locator(f"#file-{place.diploma.pk}").set_input_files(
        files=[
            {
                "name": "blurred.jpg",
                "mimeType": "image/jpeg",
                "buffer": photos.make_blurred_jpeg(seed=31),
            }
        ]
    )
    section = page.locator(f"#cat-{place.diploma.pk}")
    section.locator(".photos img").wait_for(timeout=90_000)
    image = MaterialImage.objects.get(candidate=candidate)
    assert image.precheck_due_at is not None  # processed, its pre-check still to come
    assert section.get_attribute("data-processing") is not None  # so the page still polls
    assert section.locator(".photo-advice").count() == 0
    services.start("precheck")
    section.locator(".photo-advice").get_by_text("照片可能模糊，建议重新拍摄。").wait_for(
        timeout=150_000
    )
    page.wait_for_function(
        "(id) => !document.getElementById(id).hasAttribute('data-processing')",
        arg=f"cat-{place.diploma.pk}",
    )
    assert page.evaluate("window.sameDocument") is True  # no reload on the way


def _photo_url(image, variant="display"):
    return f"/materials/image/{image.pk}/{variant}/"


@pytest.fixture
def two_candidates_with_photos(place):
    """Two candidates of the place, each with one processed photo (uploaded through nginx,
    processed by the worker)."""
    from materials.enums import ProcessingState
    from materials.models import MaterialImage

    result = []
    for seed in (21, 22):
        candidate = activated_candidate(place)
        client = candidate_client(candidate)
        response = upload(client, place.other, photos.make_jpeg(1200, 800, seed=seed))
        assert response.status_code == 200, response.text[:300]
        image = MaterialImage.objects.get(candidate=candidate)
        result.append((candidate, client, image))
    assert wait_for(
        lambda: all(
            MaterialImage.objects.get(pk=i.pk).processing == ProcessingState.READY
            for _, _, i in result
        ),
        timeout=60,
    )
    return [(c, cl, MaterialImage.objects.get(pk=i.pk)) for c, cl, i in result]


def test_stack_nothing_private_is_reachable_without_the_permission_check(
    place, two_candidates_with_photos
):
    (alice, alice_client, alice_photo), (bob, bob_client, bob_photo) = two_candidates_with_photos
    anonymous = Client()

    # The owner sees her display photo; nobody else, and not even she the original.
    own = alice_client.get(_photo_url(alice_photo))
    assert own.status_code == 200 and own.headers["content-type"] == "image/jpeg"
    assert own.content[:3] == b"\xff\xd8\xff"
    for client, image, variant in (
        (bob_client, alice_photo, "display"),
        (bob_client, alice_photo, "thumb"),
        (alice_client, alice_photo, "original"),
        (alice_client, bob_photo, "display"),
    ):
        refused = client.get(_photo_url(image, variant), allow_redirects=False)
        assert refused.status_code == 404, (image.pk, variant, refused.status_code)
    anon = anonymous.get(_photo_url(alice_photo), allow_redirects=False)
    assert anon.status_code in (302, 403, 404) and not anon.headers.get(
        "content-type", ""
    ).startswith("image/")

    # Nothing stored is under a public location.
    for name in (alice_photo.original.name, alice_photo.display.name):
        for path in (
            f"/protected-media/{name}",
            f"/media/{name}",
            f"/{name}",
            f"/static/../var/stack/media/{name}",
        ):
            response = anonymous.get(path, allow_redirects=False)
            assert response.status_code in (403, 404), (path, response.status_code)
            assert not response.content.startswith(b"\xff\xd8")
    # The admin asks for a log-in.
    admin = anonymous.get("/admin/", allow_redirects=False)
    assert admin.status_code == 302 and "/admin/login/" in admin.headers["location"]
    assert (
        anonymous.get("/admin/materials/materialimage/", allow_redirects=False).status_code == 302
    )

    if STACK_MODE == "s3":
        _s3_store_refuses_what_is_not_signed(alice_client, alice_photo)
    else:
        _x_accel_serves_through_nginx_only(alice_client, alice_photo)


def _s3_store_refuses_what_is_not_signed(client, image):
    from django.core.files.storage import default_storage

    redirect = client.get(_photo_url(image), allow_redirects=False)
    assert redirect.status_code == 302
    signed = redirect.headers["location"]
    assert signed.startswith(f"{STACK_URL}/yishen/") and "X-Amz-Signature=" in signed
    fetched = requests.get(signed, verify=STACK_CA, timeout=30)
    assert fetched.status_code == 200 and fetched.content[:3] == b"\xff\xd8\xff"
    assert fetched.headers.get("cache-control") == "private, no-store"
    bare = signed.split("?", 1)[0]
    for url in (
        bare,  # unsigned
        signed.replace(urlsplit(signed).path, urlsplit(signed).path[:-5] + "x.jpg"),  # other object
        re.sub(r"X-Amz-Signature=[0-9a-f]{8}", "X-Amz-Signature=00000000", signed),  # forged
        f"{STACK_URL}/yishen/",  # the bucket's listing
        f"{STACK_URL}/yishen/{image.original.name}",  # the original, unsigned
    ):
        refused = requests.get(url, verify=STACK_CA, timeout=30)
        assert refused.status_code == 403, (url, refused.status_code)
        assert not refused.content.startswith(b"\xff\xd8")
    # A URL signed right but expired: the store itself refuses it.
    short = default_storage.url(image.display.name, expire=1)
    assert short.startswith(f"{STACK_URL}/yishen/")
    time.sleep(2.5)
    expired = requests.get(short, verify=STACK_CA, timeout=30)
    assert expired.status_code == 403 and b"expired" in expired.content


def _x_accel_serves_through_nginx_only(client, image):
    import os

    # Through nginx: the bytes of the file on disk.
    served = client.get(_photo_url(image))
    assert served.status_code == 200
    on_disk = (STACK_DIR / "media" / image.display.name).read_bytes()
    assert served.content == on_disk
    assert served.headers["cache-control"] == "private, no-store"
    # Gunicorn itself only names the internal location; the file leaves from nginx.
    web = os.environ["YISHEN_STACK_WEB"]
    direct = requests.get(
        f"http://{web}{_photo_url(image)}",
        cookies=client.cookies.get_dict(),  # the Secure cookie, over loopback HTTP
        headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"},
        allow_redirects=False,
        timeout=30,
    )
    assert direct.status_code == 200, direct.status_code
    assert direct.headers["X-Accel-Redirect"] == f"/protected-media/{image.display.name}"
    assert direct.content == b""
