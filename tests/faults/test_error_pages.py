"""With DEBUG off (as deployed) every error is a page in Chinese, in the site's style, that
says what to do next."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories.accounts import operator

pytestmark = pytest.mark.django_db


def _assert_error_page(response, status, heading):
    body = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in body
    assert "您可以这样做" in body
    assert "/static/css/base.css" in body and "/static/css/errors.css" in body
    assert "返回报名系统" in body and reverse("review:queue") in body
    assert "Not Found" not in body and "Server Error" not in body
    return body


def test_error_page_404_in_chinese(client, settings):
    assert settings.DEBUG is False
    _assert_error_page(client.get("/no-such-page/"), 404, "页面不存在")


def test_error_page_403_in_chinese(client, org):
    client.force_login(org.staff["operator"])
    _assert_error_page(client.get("/admin/accounts/staffprofile/"), 403, "没有访问权限")


def test_error_page_400_in_chinese(client):
    response = client.get("/", HTTP_HOST="evil.example.org")
    _assert_error_page(response, 400, "请求无法处理")


def test_error_page_csrf_in_chinese_and_nothing_changed(org):
    client = Client(enforce_csrf_checks=True)
    user = org.staff["site"]
    response = client.post(reverse("review:login"), {"username": user.username, "password": "x"})
    body = _assert_error_page(response, 403, "页面已过期，请刷新后重新提交")
    assert "刷新页面后重新操作" in body
    assert "_auth_user_id" not in client.session


@pytest.mark.urls("tests.faults.failing_urls")
def test_error_page_500_in_chinese(client):
    client.raise_request_exception = False
    _assert_error_page(client.get("/fails/"), 500, "系统暂时出现问题")


def test_error_handlers_are_the_sites(settings):
    from config import urls

    assert (urls.handler400, urls.handler403, urls.handler404, urls.handler500) == (
        "config.errors.bad_request",
        "config.errors.permission_denied",
        "config.errors.page_not_found",
        "config.errors.server_error",
    )
    assert settings.CSRF_FAILURE_VIEW == "config.errors.csrf_failure"


def test_error_page_operator_sees_the_same_403_in_admin(client, org):
    client.force_login(operator(org.other_province))
    response = client.get("/admin/accounts/staffprofile/")
    assert response.status_code == 403


def test_error_page_413_in_chinese_for_nginx(client):
    """nginx refuses a post over its client_max_body_size and shows this page instead of its
    own English one (error_page 413 → an internal location that asks Django for it)."""
    from pathlib import Path

    body = _assert_error_page(client.get("/errors/too-large/"), 413, "上传的文件太大")
    assert "一次只选择一张照片上传" in body and reverse("materials:page") in body
    conf = (Path(__file__).resolve().parents[2] / "docker" / "nginx.conf.template").read_text()
    assert "error_page 413 /errors/too-large/;" in conf
    location = conf[conf.index("location = /errors/too-large/ {") :]
    location = location[: location.index("}")]
    assert "internal;" in location and "proxy_method GET;" in location
