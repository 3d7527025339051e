"""Who may see a photo, and how it leaves the server."""

import pytest
from django.utils import timezone

from tests.factories.accounts import (
    CandidateFactory,
    ProvinceFactory,
    TestSiteFactory,
    national_admin,
    operator,
    province_reviewer,
    site_reviewer,
)
from tests.factories.materials import MaterialImageFactory
from tests.materials.conftest import login_candidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def image(candidate, category):
    return MaterialImageFactory(candidate=candidate, category=category)


def url(image, variant):
    return f"/materials/image/{image.pk}/{variant}/"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("variant", ["display", "thumb"])
def test_serving_owner_sees_display_and_thumb(candidate_client, image, variant):
    response = candidate_client.get(url(image, variant))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;") and f"yishen-{image.pk}-{variant}.jpg" in disposition
    field = image.display if variant == "display" else image.thumbnail
    with field.open("rb") as fh:
        assert body(response) == fh.read()


def test_serving_owner_never_gets_original(candidate_client, image):
    assert candidate_client.get(url(image, "original")).status_code == 404


def test_serving_unknown_variant_404(candidate_client, image):
    assert candidate_client.get(url(image, "raw")).status_code == 404


def test_serving_another_candidate_404(client, image):
    other = CandidateFactory(site=image.candidate.site)
    login_candidate(client, other)
    for variant in ("display", "thumb", "original"):
        assert client.get(url(image, variant)).status_code == 404


def test_serving_anonymous_404(client, image):
    assert client.get(url(image, "display")).status_code == 404


def test_serving_removed_photo_hidden_from_owner_shown_to_staff(candidate_client, client, image):
    image.removed_at = timezone.now()
    image.save()
    assert candidate_client.get(url(image, "display")).status_code == 404
    candidate_client.logout()
    client.force_login(site_reviewer(image.candidate.site))
    assert client.get(url(image, "display")).status_code == 200


@pytest.mark.parametrize("variant", ["display", "thumb", "original"])
def test_serving_site_reviewer_of_the_site(client, image, variant):
    client.force_login(site_reviewer(image.candidate.site))
    response = client.get(url(image, variant))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    if variant == "original":
        with image.original.open("rb") as fh:
            assert body(response) == fh.read()


def test_serving_site_reviewer_of_another_site_404(client, image):
    other_site = TestSiteFactory(province=image.candidate.province)
    client.force_login(site_reviewer(other_site))
    for variant in ("display", "thumb", "original"):
        assert client.get(url(image, variant)).status_code == 404


def test_serving_province_reviewer_and_operator_of_the_province(client, image):
    for user in (province_reviewer(image.candidate.province), operator(image.candidate.province)):
        client.force_login(user)
        assert client.get(url(image, "original")).status_code == 200


def test_serving_province_reviewer_of_another_province_404(client, image):
    client.force_login(province_reviewer(ProvinceFactory(code="42")))
    assert client.get(url(image, "display")).status_code == 404


def test_serving_national_admin(client, image):
    client.force_login(national_admin())
    assert client.get(url(image, "thumb")).status_code == 200


def test_serving_staff_without_profile_404(client, image, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-pass-123", is_staff=True)
    client.force_login(user)
    assert client.get(url(image, "display")).status_code == 404


def test_serving_processing_photo_404_until_ready(candidate_client, candidate, category):
    image = MaterialImageFactory(candidate=candidate, category=category, processed=False)
    assert candidate_client.get(url(image, "display")).status_code == 404


def test_serving_x_accel_redirect(candidate_client, image, settings):
    settings.YISHEN_SERVE_MODE = "x-accel"
    settings.YISHEN_X_ACCEL_PREFIX = "/protected-media/"
    response = candidate_client.get(url(image, "display"))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{image.display.name}"
    assert response.content == b""
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


class FakeS3:
    def __init__(self):
        self.calls = []

    def url(self, name, parameters=None, expire=None):
        self.calls.append((name, parameters))
        return f"https://s3.example.com/bucket/{name}?X-Amz-Expires=60&X-Amz-Signature=abc"


def test_serving_s3_signed_url_redirect(candidate_client, image, monkeypatch):
    from materials import views

    fake = FakeS3()
    monkeypatch.setattr(views, "default_storage", fake)
    monkeypatch.setattr(views, "_is_s3", lambda storage: True)
    response = candidate_client.get(url(image, "display"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"https://s3.example.com/bucket/{image.display.name}?")
    assert response["Cache-Control"] == "private, no-store"
    name, parameters = fake.calls[0]
    assert parameters["ResponseContentType"] == "image/jpeg"
    assert parameters["ResponseCacheControl"] == "private, no-store"
    assert parameters["ResponseContentDisposition"].startswith("inline;")
