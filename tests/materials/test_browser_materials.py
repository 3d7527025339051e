"""The material page in Chromium on a phone-sized screen: enter by a signed link, upload a
3 MB sideways phone photo that the page shrinks below 200 KB before sending, see it upright
and watermarked, delete one, fill the required categories, submit, see everything locked."""

import io
import re

import pytest
from django.conf import settings
from PIL import Image, ImageChops

from accounts.entry import payload_for_candidate, sign_entry_token
from accounts.enums import CandidateStatus
from materials import pipeline
from materials.enums import ProcessingState
from materials.models import MaterialImage
from tests import photos
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _read(field) -> bytes:
    with field.open("rb") as fh:
        return fh.read()


def _count(page, category) -> str:
    return page.locator(f"#cat-{category.pk} .count").inner_text()


def _wait_settled(page, category, text):
    page.wait_for_function(
        "([id, text]) => { const s = document.getElementById(id);"
        " return s && !s.hasAttribute('data-processing') && !s.hasAttribute('aria-busy')"
        " && s.querySelector('.count').textContent.trim() === text; }",
        arg=[f"cat-{category.pk}", text],
    )


def test_browser_upload_shrink_delete_submit(page, live_server):
    candidate = CandidateFactory()
    id_card = MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="身份证明",
        required=True,
        min_count=2,
        max_count=2,
        order=1,
    )
    diploma = MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="学历证明",
        required=True,
        min_count=1,
        max_count=2,
        order=2,
    )
    MaterialCategoryFactory(
        province=candidate.province,
        exam_year=candidate.exam_year,
        name="其他",
        is_other=True,
        max_count=10,
        order=3,
    )

    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    assert page.locator("html.js").count() == 1
    assert "填报" in page.locator("#status-panel").inner_text()
    assert _count(page, id_card) == "0 / 2"

    # 1. A 12-megapixel phone photo, stored sideways (EXIF orientation 6), about 3 MB.
    phone = photos.make_phone_jpeg()
    assert len(phone) > 2_000_000
    page.locator(f"#file-{id_card.pk}").set_input_files(
        files=[{"name": "IMG_2041.JPG", "mimeType": "image/jpeg", "buffer": phone}]
    )
    _wait_settled(page, id_card, "1 / 2")
    image = MaterialImage.objects.get(candidate=candidate, category=id_card)
    assert image.size_bytes <= 204_800
    assert image.processing == ProcessingState.READY
    original = Image.open(io.BytesIO(_read(image.original)))
    # The browser sent it upright (no orientation left to apply) and landscape as shot.
    assert original.getexif().get(0x0112, 1) == 1
    assert original.width > original.height and photos.is_upright(original)
    display = Image.open(io.BytesIO(_read(image.display)))
    assert display.size == (image.width, image.height)
    assert max(display.size) <= 1600 and display.width > display.height
    assert photos.is_upright(display)
    # Watermarked: differs from the same photo processed without a watermark.
    plain = Image.open(io.BytesIO(pipeline.process(_read(image.original), watermark="").display))
    changed = ImageChops.difference(plain.convert("L"), display.convert("L"))
    assert changed.point(lambda v: 255 if v > 20 else 0).histogram()[255] > 5000
    # The thumbnail is on the page and loads (served through the permission-checked view).
    thumb = page.locator(f"#photo-{image.pk} img")
    thumb.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumb.element_handle()) == 320

    # 2. A second photo, then delete it with the confirmation dialog.
    page.locator(f"#file-{id_card.pk}").set_input_files(
        files=[{"name": "second.png", "mimeType": "image/png", "buffer": photos.make_png(800, 600)}]
    )
    _wait_settled(page, id_card, "2 / 2")
    assert page.locator(f"#cat-{id_card.pk} .upload-form").count() == 0  # full
    second = (
        MaterialImage.objects.filter(candidate=candidate, category=id_card)
        .exclude(pk=image.pk)
        .get()
    )
    page.locator(f"#photo-{second.pk} a.delete").click()
    dialog = page.locator("#confirm-delete")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name="删除").click()
    _wait_settled(page, id_card, "1 / 2")
    assert not MaterialImage.objects.filter(pk=second.pk).exists()

    # 3. Submitting too early: the confirmation names what is missing and offers no submit.
    page.locator("#status-panel").get_by_role("button", name="提交审核").click()
    confirm = page.locator("#confirm-submit")
    confirm.wait_for(state="visible")
    assert "以下必传材料尚未上传齐全" in confirm.inner_text()
    assert confirm.get_by_role("button", name="确认提交").count() == 0
    confirm.get_by_role("button", name="返回修改").click()
    confirm.wait_for(state="hidden")

    # 4. Fill the required categories. Three photos chosen at once for 学历证明 (two free
    #    places): the page uploads two and says how many went in and how many did not.
    page.locator(f"#file-{id_card.pk}").set_input_files(
        files=[
            {
                "name": "back.jpg",
                "mimeType": "image/jpeg",
                "buffer": photos.make_jpeg(1200, 800, seed=1),
            }
        ]
    )
    _wait_settled(page, id_card, "2 / 2")
    page.locator(f"#file-{diploma.pk}").set_input_files(
        files=[
            {
                "name": "diploma.png",
                "mimeType": "image/png",
                "buffer": photos.make_png(1000, 700),
            },
            {
                "name": "record.jpg",
                "mimeType": "image/jpeg",
                "buffer": photos.make_jpeg(1200, 800, seed=2),
            },
            {
                "name": "extra.jpg",
                "mimeType": "image/jpeg",
                "buffer": photos.make_jpeg(1200, 800, seed=3),
            },
        ]
    )
    _wait_settled(page, diploma, "2 / 2")
    feedback = page.locator(f"#cat-{diploma.pk} .upload-feedback").inner_text()
    assert "已上传 2 张。" in feedback and "已上传 1 张" not in feedback
    assert "另有 1 张未上传：本项最多 2 张。" in feedback
    names = set(
        MaterialImage.objects.filter(candidate=candidate, category=diploma).values_list(
            "image_format", flat=True
        )
    )
    assert names == {"png", "jpeg"}  # the first two chosen, as chosen

    # 5. Submit: the message and everything locked, without a page reload.
    page.evaluate("window.__noReload = true")
    page.locator("#status-panel").get_by_role("button", name="提交审核").click()
    page.locator("#confirm-submit").get_by_role("button", name="确认提交").click()
    page.locator(".submitted-message").wait_for()
    assert re.search(
        r"\d{4}/\d{1,2}/\d{1,2} \d{2}:\d{2}:\d{2} 上报完成，内容已锁定。",
        page.locator(".submitted-message").inner_text(),
    )
    assert page.evaluate("window.__noReload") is True
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SUBMITTED
    assert page.locator(".upload-form").count() == 0
    assert page.locator("a.delete").count() == 0
    assert page.locator("text=内容已锁定").count() == 1


def test_browser_heic_gets_clear_message(page, live_server):
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    page.locator(f"#file-{category.pk}").set_input_files(
        files=[
            {"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": photos.make_heic_like()}
        ]
    )
    page.locator(f"#cat-{category.pk} .upload-errors").wait_for()
    assert "兼容性最佳" in page.locator(f"#cat-{category.pk} .upload-errors").inner_text()
    assert not MaterialImage.objects.exists()


def test_browser_keyboard_and_viewer(page, live_server):
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    from tests.factories.materials import MaterialImageFactory

    image = MaterialImageFactory(candidate=candidate, category=category)
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    # Nothing overflows a 360-px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The thumbnail opens the full-size photo in a dialog; Escape closes it, focus returns.
    link = page.locator(f"#photo-{image.pk} a.thumb")
    link.focus()
    page.keyboard.press("Enter")
    viewer = page.locator("#viewer")
    viewer.wait_for(state="visible")
    assert f"/materials/image/{image.pk}/display/" in viewer.locator("img").get_attribute("src")
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('thumb')")


def test_browser_shrinks_transparent_png_and_upside_down_photo(page, live_server):
    """A 2 MB PNG with transparency becomes a JPEG under the limit with white where it was
    transparent; a photo stored upside down (EXIF 3) arrives upright, not turned twice."""
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, max_count=5
    )
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    png = photos.make_png(1600, 1200, alpha=True, noise=10)
    upside_down = photos.make_jpeg(3000, 2000, exif_orientation=3, noise=30, quality=92)
    assert len(png) > 204_800 and len(upside_down) > 204_800
    page.locator(f"#file-{category.pk}").set_input_files(
        files=[
            {"name": "scan.png", "mimeType": "image/png", "buffer": png},
            {"name": "IMG_3.JPG", "mimeType": "image/jpeg", "buffer": upside_down},
        ]
    )
    _wait_settled(page, category, "2 / 5")
    first, second = MaterialImage.objects.filter(candidate=candidate).order_by("pk")
    assert first.image_format == "jpeg" and first.size_bytes <= 204_800
    scan = Image.open(io.BytesIO(_read(first.original)))
    # The right half was transparent: white, not black.
    assert min(scan.convert("RGB").getpixel((scan.width * 3 // 4, scan.height // 2))) > 240
    assert second.size_bytes <= 204_800
    sent = Image.open(io.BytesIO(_read(second.original)))
    assert sent.getexif().get(0x0112, 1) == 1
    assert sent.width > sent.height and photos.is_upright(sent)
    display = Image.open(io.BytesIO(_read(second.display)))
    assert photos.is_upright(display)


def test_browser_shrinks_a_busy_2000x1500_photo_keeping_it_large(page, live_server):
    """Over the limit as taken: the page keeps the side as large as the rule allows
    (materials/photosize.py) and pays for the bytes with quality, so small print and stamps
    stay legible — not 1024×768 as before."""
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    busy = photos.make_jpeg(2000, 1500, noise=30, quality=92)
    assert len(busy) > 3 * 204_800
    page.locator(f"#file-{category.pk}").set_input_files(
        files=[{"name": "certificate.jpg", "mimeType": "image/jpeg", "buffer": busy}]
    )
    _wait_settled(page, category, "1 / 5")
    image = MaterialImage.objects.get(candidate=candidate)
    assert image.size_bytes <= 204_800
    sent = Image.open(io.BytesIO(_read(image.original)))
    assert 1024 < sent.width <= 2000 and sent.width * 3 == sent.height * 4
