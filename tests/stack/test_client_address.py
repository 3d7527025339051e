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
