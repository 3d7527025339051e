import pytest

from accounts.models import Candidate
from tests.factories.accounts import CandidateFactory, ProvinceFactory, TestSiteFactory

pytestmark = pytest.mark.django_db


def test_home_demo_shows_three_doors(client):
    body = client.get("/").content.decode()
    assert 'href="/demo/registration/"' in body
    assert 'href="/review/login/"' in body
    assert 'href="/admin/"' in body


def test_home_outside_demo_points_to_registration_system(client, settings):
    settings.YISHEN_DEMO = False
    body = client.get("/").content.decode()
    assert "/demo/registration/" not in body
    assert "点击「上传相关材料」按钮进入本系统" in body


def test_demo_registration_lists_summary(client):
    candidate = CandidateFactory(activated=False)
    body = client.get("/demo/registration/").content.decode()
    assert f"2026 {candidate.category.code} {candidate.category.name}" in body
    assert candidate.reg_no in body
    assert "阶段: 报名" in body
    assert "上传相关材料" in body


def test_demo_registration_queries_bounded(client, django_assert_max_num_queries):
    CandidateFactory()
    with django_assert_max_num_queries(6):
        client.get("/demo/registration/")
    for _ in range(10):
        CandidateFactory()
    with django_assert_max_num_queries(6):
        client.get("/demo/registration/")


def test_demo_enter_signs_fresh_token(client):
    candidate = CandidateFactory(activated=False)
    response = client.post(f"/demo/registration/{candidate.pk}/enter/")
    assert response.status_code == 302
    assert response.url.startswith("/entry/?t=")
    assert client.get(client.get(response.url).url).url == "/activate/"
    assert client.session["yishen_candidate_id"] == candidate.pk


def test_demo_register_new_candidate_goes_to_activation(client):
    province = ProvinceFactory(code="37", name="山东")
    TestSiteFactory(province=province, code="3701")
    response = client.post(
        "/demo/registration/new/",
        {"name": "", "province": "37", "category": "110", "tags": ["应届毕业生"]},
    )
    assert response.url.startswith("/entry/?t=")
    assert client.get(client.get(response.url).url).url == "/activate/"
    candidate = Candidate.objects.get()
    assert candidate.tags == ["应届毕业生"]
    assert candidate.site.code == "3701"
    assert len(candidate.id_no) == 18


def test_demo_pages_absent_outside_demo(client, settings):
    settings.YISHEN_DEMO = False
    candidate = CandidateFactory()
    assert client.get("/demo/registration/").status_code == 404
    assert client.post(f"/demo/registration/{candidate.pk}/enter/").status_code == 404
    assert client.post("/demo/registration/new/").status_code == 404


def test_demo_id_number_check_digit():
    from demo.people import demo_id_number

    number = demo_id_number("11")
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    assert number[17] == "10X98765432"[total % 11]


def test_logout_clears_candidate_session(client):
    candidate = CandidateFactory(activated=False)
    client.get(client.post(f"/demo/registration/{candidate.pk}/enter/").url)
    response = client.post("/logout/")
    assert response.url == "/"
    assert "yishen_candidate_id" not in client.session
