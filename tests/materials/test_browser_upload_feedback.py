"""What the material page says after an upload, in Chromium: the processing note goes when
the thumbnail shows."""

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
