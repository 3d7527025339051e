"""Through nginx: the address in the audit trail is the one nginx saw, whatever the client
writes into X-Forwarded-For or X-Real-IP; hostile files get their message, never a 5xx."""

from __future__ import annotations

import pytest

from tests import photos
from tests.stack.conftest import activated_candidate, candidate_client

pytestmark = [pytest.mark.stack]


def test_stack_spoofed_forwarding_headers_do_not_reach_the_audit_trail(place):
    from review.models import ReviewEvent

    candidate = activated_candidate(place)
    client = candidate_client(candidate)
    response = client.post_form(
        f"/materials/category/{place.other.pk}/upload/",
        files={"photos": ("photo.jpg", photos.make_jpeg(640, 480, seed=31), "image/jpeg")},
        headers={
            "X-Yishen-Fragment": "1",
            "X-Forwarded-For": "203.0.113.9",
            "X-Real-IP": "198.51.100.7",
        },
    )
    assert response.status_code == 200, response.text[:300]
    addresses = set(
        ReviewEvent.objects.filter(candidate=candidate).values_list("ip_address", flat=True)
    )
    # This process reaches nginx over the loopback.
    assert addresses == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "无法识别该文件"),
        ("drawing.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "无法识别该文件"),
        ("bomb.png", photos.make_real_png_bomb(5000), "不像是一张正常的照片"),
    ],
    ids=["html", "svg", "small-bomb"],
)
def test_stack_hostile_file_answered_with_its_message(place, name, data, message):
    client = candidate_client(activated_candidate(place))
    response = client.post_form(
        f"/materials/category/{place.other.pk}/upload/",
        files={"photos": (name, data, "application/octet-stream")},
        headers={"X-Yishen-Fragment": "1"},
    )
    assert response.status_code == 400
    assert message in response.text


def test_stack_post_over_nginx_limit_gets_the_chinese_page(place):
    """A 5 MB phone photo sent without JavaScript (the page's script would have shrunk it):
    nginx refuses it and shows Django's page in Chinese, not its own."""
    client = candidate_client(activated_candidate(place))
    big = photos.make_jpeg(640, 480, seed=41) + b"\x00" * (5 * 1024 * 1024)
    response = client.post_form(
        f"/materials/category/{place.other.pk}/upload/",
        files={"photos": ("IMG_0001.jpg", big, "image/jpeg")},
    )
    assert response.status_code == 413
    assert "上传的文件太大" in response.text
    assert "no-store" in response.headers.get("Cache-Control", "")


def test_stack_pages_and_photos_through_nginx_are_no_store(place):
    """What the browser finally gets, in either storage mode: the page from Django, the
    photo from nginx's internal location (filesystem) or from the store through nginx (S3,
    after the redirect to the signed URL)."""
    from materials.enums import ProcessingState
    from materials.models import MaterialImage
    from tests.stack.conftest import wait_for

    candidate = activated_candidate(place)
    client = candidate_client(candidate)
    response = client.post_form(
        f"/materials/category/{place.other.pk}/upload/",
        files={"photos": ("photo.jpg", photos.make_jpeg(640, 480, seed=51), "image/jpeg")},
    )
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    image = MaterialImage.objects.get(candidate=candidate)
    assert wait_for(
        lambda: MaterialImage.objects.get(pk=image.pk).processing == ProcessingState.READY,
        timeout=60,
    )
    for variant in ("display", "thumb"):
        photo = client.get(f"/materials/image/{image.pk}/{variant}/")
        assert photo.status_code == 200 and photo.content[:3] == b"\xff\xd8\xff"
        assert "no-store" in photo.headers["Cache-Control"], photo.headers
        assert photo.headers["Cache-Control"].count("no-store") == 1
