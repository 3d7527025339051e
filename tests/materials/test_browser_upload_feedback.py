"""What the material page says after an upload, in Chromium: the processing note goes when
the thumbnail shows; a file the server would refuse for its format is refused before it is
sent, in the server's words (materials/validation.py)."""

import re

import pytest
from django.conf import settings

from accounts.entry import payload_for_candidate, sign_entry_token
from materials import processing, services
from materials.models import MaterialImage
from tests import photos
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class HeldQueue:
    """Stands in for the pipeline's queue: holds the photos until the test runs the worker's
    step itself (processing.image_process, what the Celery task calls)."""

    def __init__(self):
        self.ids = []

    def delay(self, *, image_id):
        self.ids.append(image_id)


def _enter(page, **category):
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, **category
    )
    token = sign_entry_token(payload_for_candidate(candidate), settings.YISHEN_ENTRY_SECRET)
    page.goto(f"/entry/?t={token}")
    page.wait_for_url(re.compile(r"/materials/$"))
    return category


def test_browser_processing_note_goes_when_the_thumbnail_shows(page, live_server, monkeypatch):
    queue = HeldQueue()
    monkeypatch.setattr(services, "image_process", queue)
    category = _enter(page, max_count=2)
    section = page.locator(f"#cat-{category.pk}")

    page.locator(f"#file-{category.pk}").set_input_files(
        files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": photos.make_jpeg(800, 600)}]
    )
    section.locator(".upload-notices").wait_for()
    assert "已上传 1 张。" in section.locator(".upload-notices").inner_text()
    assert "正在处理（加水印）" in section.inner_text()
    assert section.locator(".thumb-processing").count() == 1

    # The worker does its part; the page's poll brings the thumbnail and the note goes.
    (image_id,) = queue.ids
    processing.image_process(image_id=image_id)
    section.locator(f"#photo-{image_id} img").wait_for()
    page.wait_for_function(
        "(id) => !document.querySelector('#' + id + ' .processing-note')", arg=f"cat-{category.pk}"
    )
    assert "正在处理" not in section.inner_text()
    assert "已上传 1 张。" in section.locator(".upload-notices").inner_text()
    assert MaterialImage.objects.get().pk == image_id


# The server's words for each (tests/materials/test_hostile_files.py posts the same files).
REFUSED_BEFORE_SENDING = {
    "gif": (
        "anim.gif",
        photos.make_gif,
        "本项材料只接受 JPG/PNG 格式的照片，您选择的文件是 GIF 格式。",
    ),
    "big-gif": (
        "big.gif",
        lambda: photos.make_gif(1600, 1200),
        "本项材料只接受 JPG/PNG 格式的照片，您选择的文件是 GIF 格式。",
    ),
    "webp": (
        "photo.webp",
        photos.make_webp,
        "本项材料只接受 JPG/PNG 格式的照片，您选择的文件是 WebP 格式。",
    ),
    "pdf": (
        "scan.pdf",
        photos.make_pdf,
        "不接受 PDF 文件。请上传 JPG/PNG 格式的照片（可将文件拍照或截图后上传）。",
    ),
    # Said as the server says it (validation.empty_text), not as an unrecognised format.
    "empty": ("zero.jpg", lambda: b"", "文件是空的，请重新选择照片。"),
}


@pytest.mark.parametrize("kind", list(REFUSED_BEFORE_SENDING))
def test_browser_refuses_a_format_the_server_refuses_before_sending(page, live_server, kind):
    name, make, message = REFUSED_BEFORE_SENDING[kind]
    category = _enter(page)
    assert page.locator(f"#file-{category.pk}").get_attribute("accept") == "image/jpeg,image/png"
    posts = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )

    page.locator(f"#file-{category.pk}").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": make()}]
    )

    errors = page.locator(f"#cat-{category.pk} .upload-errors")
    errors.wait_for()
    assert errors.inner_text().strip() == message
    assert posts == []  # refused in the page: nothing converted, nothing sent
    assert not MaterialImage.objects.exists()
