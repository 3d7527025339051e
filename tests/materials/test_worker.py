"""On the production stack: a real Celery worker processes an upload after commit, and two
uploads racing for the last place of a category cannot both win (row lock on PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from materials.enums import ProcessingState
from materials.models import MaterialImage
from materials.services import image_upload
from tests import photos
from tests.conftest import wait_for
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory


@pytest.mark.celery_worker
def test_worker_processes_upload_after_commit(real_celery_worker):
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(province=candidate.province, exam_year=candidate.exam_year)
    image = image_upload(
        candidate=candidate,
        category=category,
        file=photos.upload(photos.make_jpeg(1600, 1200, exif_orientation=6, gps=True)),
    )

    def ready():
        image.refresh_from_db()
        return image.processing != ProcessingState.PROCESSING

    assert wait_for(ready, timeout=60)
    assert image.processing == ProcessingState.READY
    with image.display.open("rb") as fh:
        display = photos.open_image(fh.read())
    assert display.size == (1600, 1200) and photos.is_upright(display)


@pytest.mark.django_db(transaction=True)
def test_two_uploads_for_the_last_place_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks (SELECT … FOR UPDATE): run on PostgreSQL (CI)")
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, max_count=1
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def run(seed):
        try:
            barrier.wait(timeout=10)
            image_upload(
                candidate=candidate,
                category=category,
                file=photos.upload(photos.make_typical_jpeg(seed=seed)),
            )
            outcomes.append("won")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["count", "won"]
    assert MaterialImage.objects.filter(candidate=candidate).count() == 1
