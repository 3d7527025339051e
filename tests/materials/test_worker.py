"""On the production stack: a real Celery worker processes an upload after commit, and two
uploads racing for the last place of a category cannot both win (row lock on PostgreSQL)."""

import pytest

from materials.enums import ProcessingState
from materials.models import MaterialImage
from materials.services import image_upload
from tests import photos
from tests.concurrency import race_codes, skip_unless_postgres
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
    ).image

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
    skip_unless_postgres()
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, max_count=1
    )
    outcomes = race_codes(
        [
            lambda seed=seed: image_upload(
                candidate=candidate,
                category=category,
                file=photos.upload(photos.make_typical_jpeg(seed=seed)),
            )
            for seed in range(2)
        ]
    )
    assert sorted(outcomes) == ["count", "ok"]
    assert MaterialImage.objects.filter(candidate=candidate).count() == 1
