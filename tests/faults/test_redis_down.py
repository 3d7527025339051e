"""Redis stopped: sessions (in the database) and the cache (django-redis, ignoring and
logging its errors) fail soft, so every page keeps working. The suite starts its own
redis-server on a free port and stops it; the machine's Redis is never touched."""

import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.enums import CandidateStatus
from materials.models import MaterialImage
from tests import photos
from tests.factories.accounts import PASSWORD
from tests.factories.materials import MaterialCategoryFactory
from tests.factories.review import candidate_with_photos
from tests.materials.conftest import login_candidate
from tests.staff import login_with_code

pytestmark = pytest.mark.django_db


def test_redis_down_cache_reads_miss_and_writes_are_dropped_and_logged(redis_cache, caplog):
    cache.set("k", "v")
    assert cache.get("k") == "v"
    redis_cache.stop()
    with caplog.at_level(logging.ERROR, logger="config.cache"):
        assert cache.get("k") is None
        cache.set("k", "w")  # no exception
    assert "Error" in caplog.text


def test_redis_down_reviewer_keeps_working(redis_cache, client, org):
    candidate, _cats, _imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED, site=org.site)
    client.force_login(org.staff["site"])
    assert client.get(reverse("review:queue")).status_code == 200
    redis_cache.stop()
    assert client.get(reverse("review:queue")).status_code == 200
    page = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk}))
    assert page.status_code == 200
    assert candidate.name in page.content.decode()
    assert client.get(reverse("review:dashboard")).status_code == 200


def test_redis_down_reviewer_can_log_in(redis_cache, client, org):
    redis_cache.stop()
    page = login_with_code(client, org.staff["site"], password=PASSWORD)
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == reverse("review:queue")


def test_redis_down_candidate_uploads(redis_cache, client):
    candidate, cats, _imgs = candidate_with_photos(status=CandidateStatus.DRAFT, photos=0)
    login_candidate(client, candidate)
    assert client.get("/materials/").status_code == 200
    redis_cache.stop()
    assert client.get("/materials/").status_code == 200
    response = client.post(
        f"/materials/category/{cats[0].pk}/upload/",
        {"photos": photos.upload(photos.make_typical_jpeg())},
    )
    assert response.status_code == 302
    assert MaterialImage.objects.filter(candidate=candidate).count() == 1


def test_redis_down_operator_admin_works(redis_cache, client, org):
    client.force_login(org.staff["operator"])
    redis_cache.stop()
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/materials/materialcategory/").status_code == 200


def test_redis_down_login_limit_still_holds_and_no_page_fails(redis_cache, client, org):
    redis_cache.stop()
    user = org.staff["site"]
    for _ in range(4):
        response = client.post(
            reverse("review:login"), {"username": user.username, "password": "wrong"}
        )
        assert response.status_code == 200
        assert "用户名或密码错误" in response.content.decode()
    client.post(reverse("review:login"), {"username": user.username, "password": "wrong"})
    response = client.post(
        reverse("review:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "登录已暂停" in response.content.decode()


def test_redis_down_upload_rate_limit_fails_soft(redis_cache, client, settings):
    """The rate counter lives in the cache: with Redis away it is not applied, and uploads
    go on (a limit of 1 would refuse the second upload if it were)."""
    settings.YISHEN_UPLOADS_PER_WINDOW = 1
    candidate, _cats, _imgs = candidate_with_photos(status=CandidateStatus.DRAFT, photos=0)
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, max_count=5
    )
    login_candidate(client, candidate)
    redis_cache.stop()
    for seed in range(2):
        response = client.post(
            f"/materials/category/{category.pk}/upload/",
            {"photos": photos.upload(photos.make_jpeg(320, 240, seed=seed))},
        )
        assert response.status_code == 302
    assert "上传过于频繁" not in client.get("/materials/").content.decode()
    assert MaterialImage.objects.filter(candidate=candidate).count() == 2
