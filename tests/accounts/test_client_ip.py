"""The client's address comes from our own proxy only (accounts.http.client_ip): whatever a
client writes into X-Forwarded-For or X-Real-IP itself never reaches the audit trail or the
throttles."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from accounts.http import client_ip
from deploy import compose
from review.models import ReviewEvent
from tests import photos
from tests.factories.accounts import PASSWORD, CandidateFactory, TestSiteFactory, site_reviewer
from tests.factories.materials import MaterialCategoryFactory
from tests.materials.conftest import login_candidate

ROOT = Path(__file__).resolve().parent.parent.parent
NGINX = ROOT / "docker" / "nginx.conf.template"


def request(**headers):
    return RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **headers)


@pytest.fixture
def behind_nginx(settings):
    """The settings docker-compose.yml gives the web service (and deploy/stack.sh, which
    reads them from there) for the client's address. Requests then look as nginx forwards
    them: REMOTE_ADDR is nginx's own address, X-Real-IP what nginx saw."""
    env = compose.service("web")["environment"]
    settings.YISHEN_CLIENT_IP_HEADER = env.get("YISHEN_CLIENT_IP_HEADER", "")
    settings.YISHEN_TRUSTED_PROXY_HOPS = int(env.get("YISHEN_TRUSTED_PROXY_HOPS", 0))
    assert settings.YISHEN_CLIENT_IP_HEADER or settings.YISHEN_TRUSTED_PROXY_HOPS
    return settings


def test_client_ip_default_is_the_connection_whatever_the_headers(settings):
    settings.YISHEN_CLIENT_IP_HEADER, settings.YISHEN_TRUSTED_PROXY_HOPS = "", 0
    spoofed = request(HTTP_X_FORWARDED_FOR="1.2.3.4", HTTP_X_REAL_IP="5.6.7.8")
    assert client_ip(spoofed) == "10.0.0.2"


def test_client_ip_header_mode_reads_only_the_proxy_header(settings):
    settings.YISHEN_CLIENT_IP_HEADER = "X-Real-IP"
    spoofed = request(HTTP_X_FORWARDED_FOR="1.2.3.4", HTTP_X_REAL_IP="203.0.113.7")
    assert client_ip(spoofed) == "203.0.113.7"


@pytest.mark.parametrize("value", ["", "not-an-ip", "1.2.3.4, 5.6.7.8", "<script>"])
def test_client_ip_header_missing_or_malformed_falls_back_to_the_connection(settings, value):
    settings.YISHEN_CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(request(HTTP_X_REAL_IP=value)) == "10.0.0.2"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "198.51.100.1", "198.51.100.1"),
        # The client wrote the first two entries; our one proxy appended the third.
        (1, "1.1.1.1, 2.2.2.2, 198.51.100.1", "198.51.100.1"),
        (2, "1.1.1.1, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        # Fewer entries than proxies: the request did not come through them all.
        (2, "198.51.100.1", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_hop_count_takes_the_entry_our_proxies_wrote(settings, hops, forwarded, expected):
    settings.YISHEN_TRUSTED_PROXY_HOPS = hops
    assert client_ip(request(HTTP_X_FORWARDED_FOR=forwarded)) == expected


def test_nginx_sets_x_real_ip_from_the_connection_and_passes_no_client_forwarded_for():
    conf = NGINX.read_text()
    app = conf[conf.index("location / {") :]
    assert re.search(r"proxy_set_header X-Real-IP \$remote_addr;", app)
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", app)
    assert "$proxy_add_x_forwarded_for" not in conf
    assert "$http_x_forwarded_for" not in conf
    assert compose.service("web")["environment"]["YISHEN_CLIENT_IP_HEADER"] == "X-Real-IP"


@pytest.mark.django_db
@pytest.mark.parametrize("login", ["review:login", "admin:login"])
def test_login_limit_not_defeated_by_rotating_x_forwarded_for(client, behind_nginx, login):
    """An attacker at one address guesses a reviewer's password, writing a new
    X-Forwarded-For each time: the lock by user name and address still stops them (with the
    client's X-Forwarded-For believed, every guess came from a new address: 22 of 22 went
    through), and the right password is refused too while locked."""
    user = site_reviewer(TestSiteFactory())
    statuses = [
        client.post(
            reverse(login),
            {"username": user.username, "password": f"wrong{i}"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_REAL_IP="203.0.113.66",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    response = client.post(
        reverse(login),
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="203.0.113.66",
        HTTP_X_FORWARDED_FOR="192.0.2.250",
    )
    assert response.status_code == 429
    assert "登录已暂停" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_audit_row_records_the_proxy_address_not_a_spoofed_one(client, behind_nginx):
    candidate = CandidateFactory()
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, max_count=3
    )
    login_candidate(client, candidate)

    client.post(
        f"/materials/category/{category.pk}/upload/",
        {"photos": photos.upload(photos.make_jpeg(320, 240))},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="203.0.113.66",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )

    event = ReviewEvent.objects.get(candidate=candidate)
    assert event.ip_address == "203.0.113.66"
