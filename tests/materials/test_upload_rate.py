"""The per-candidate upload rate: a candidate who posts file after file (a script, a stuck
retry loop) is told to wait, without touching anyone else; a cache that is away does not
stop uploads."""

import pytest

from materials.models import MaterialImage
from tests import photos
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory
from tests.materials.conftest import login_candidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):
    settings.YISHEN_UPLOADS_PER_WINDOW = 3
    settings.YISHEN_UPLOAD_WINDOW_SECONDS = 600
    return 3


def _category(candidate):
    return MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, max_count=10
    )


def post(client, category, data, name="photo.jpg"):
    """The no-JavaScript form, then the page it leads to."""
    response = client.post(
        f"/materials/category/{category.pk}/upload/", {"photos": photos.upload(data, name)}
    )
    assert response.status_code == 302
    return client.get("/materials/").content.decode()


def test_upload_rate_exceeded_refused_with_message_nothing_stored(client, candidate, limit):
    category = _category(candidate)
    login_candidate(client, candidate)
    for seed in range(limit):
        post(client, category, photos.make_jpeg(320, 240, seed=seed))

    page = post(client, category, photos.make_jpeg(320, 240, seed=99))

    assert "上传过于频繁：每 10 分钟最多上传 3 个文件。" in page
    assert MaterialImage.objects.count() == limit


def test_upload_rate_counts_refused_files_too(client, candidate, limit):
    category = _category(candidate)
    login_candidate(client, candidate)
    for _ in range(limit):
        post(client, category, b"<html>not a photo</html>")

    page = post(client, category, photos.make_jpeg(320, 240, seed=1))

    assert "上传过于频繁" in page
    assert not MaterialImage.objects.exists()


def test_upload_rate_is_per_candidate(client, candidate, limit):
    category = _category(candidate)
    login_candidate(client, candidate)
    for seed in range(limit + 1):
        post(client, category, photos.make_jpeg(320, 240, seed=seed))
    other = CandidateFactory(province=candidate.province, exam_year=candidate.exam_year)
    client.logout()
    login_candidate(client, other)

    page = post(client, category, photos.make_jpeg(320, 240, seed=50))

    assert "上传过于频繁" not in page
    assert MaterialImage.objects.filter(candidate=other).count() == 1


def test_upload_rate_script_path_answers_400_with_message(client, candidate, limit):
    category = _category(candidate)
    login_candidate(client, candidate)
    for seed in range(limit):
        post(client, category, photos.make_jpeg(320, 240, seed=seed))

    response = client.post(
        f"/materials/category/{category.pk}/upload/",
        {"photos": photos.upload(photos.make_jpeg(320, 240, seed=7))},
        HTTP_X_YISHEN_FRAGMENT="1",
    )

    assert response.status_code == 400
    assert "上传过于频繁" in response.content.decode()
