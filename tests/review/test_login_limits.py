"""Failed staff log-ins are limited by django-axes per pair of user name and client address,
on the workbench's log-in and on the admin's: five wrong passwords lock that name from that
address only, and the lock-out page is in Chinese, never an error page."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

HOME = "10.1.0.7"
ELSEWHERE = "10.9.9.9"


def _fail(client, url, username, times, address):
    """Wrong passwords; the statuses of the answers, in order."""
    return [
        client.post(
            url, {"username": username, "password": "wrong"}, REMOTE_ADDR=address
        ).status_code
        for _ in range(times)
    ]


def test_workbench_login_locks_user_from_address_after_five_failures(client, org):
    user = org.staff["site"]
    assert _fail(client, reverse("review:login"), user.username, 5, ELSEWHERE) == [
        200,
        200,
        200,
        200,
        429,
    ]
    response = client.post(
        reverse("review:login"),
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR=ELSEWHERE,
    )
    assert response.status_code == 429
    body = response.content.decode()
    assert "登录已暂停" in body
    assert "连续 5 次登录失败，已暂停从此地址登录 15 分钟" in body
    assert "_auth_user_id" not in client.session


def test_workbench_lockout_elsewhere_does_not_lock_user_at_home(client, org):
    user = org.staff["site"]
    _fail(client, reverse("review:login"), user.username, 8, ELSEWHERE)
    response = client.post(
        reverse("review:login"),
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR=HOME,
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_workbench_lockout_of_one_user_leaves_others_at_same_address(client, org):
    _fail(client, reverse("review:login"), org.staff["site"].username, 5, ELSEWHERE)
    other = org.staff["province"]
    response = client.post(
        reverse("review:login"),
        {"username": other.username, "password": PASSWORD},
        REMOTE_ADDR=ELSEWHERE,
    )
    assert response.status_code == 302


def test_four_failures_then_right_password_logs_in_and_forgets_failures(client, org):
    user = org.staff["site"]
    assert _fail(client, reverse("review:login"), user.username, 4, HOME) == [200] * 4
    response = client.post(
        reverse("review:login"),
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR=HOME,
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_admin_login_locks_user_from_address_after_five_failures(client, org):
    user = org.staff["operator"]
    assert _fail(client, reverse("admin:login"), user.username, 5, ELSEWHERE)[-1] == 429
    response = client.post(
        reverse("admin:login"),
        {"username": user.username, "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR=ELSEWHERE,
    )
    assert response.status_code == 429
    assert "登录已暂停" in response.content.decode()
    assert "_auth_user_id" not in client.session
    home = client.post(
        reverse("admin:login"),
        {"username": user.username, "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR=HOME,
    )
    assert home.status_code == 302


def test_failures_on_admin_and_workbench_count_together(client, org):
    user = org.staff["operator"]
    _fail(client, reverse("admin:login"), user.username, 3, ELSEWHERE)
    _fail(client, reverse("review:login"), user.username, 2, ELSEWHERE)
    response = client.post(
        reverse("review:login"),
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR=ELSEWHERE,
    )
    assert response.status_code == 429


def test_rotating_x_forwarded_for_does_not_escape_the_lockout(client, org):
    user = org.staff["site"]
    for n in range(5):
        client.post(
            reverse("review:login"),
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR=ELSEWHERE,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = client.post(
        reverse("review:login"),
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR=ELSEWHERE,
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429
