import logging
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.entry import verify_entry_token
from accounts.enums import StaffRole, SubmitMode
from accounts.exam_categories import EXAM_CATEGORIES
from accounts.models import Candidate, ExamCategory, ExamYear, Province, StaffProfile, TestSite
from tests.factories.accounts import CandidateFactory
from tests.staff import login_with_code

pytestmark = pytest.mark.django_db


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            ExamYear,
            ExamCategory,
            Province,
            TestSite,
            Candidate,
            StaffProfile,
            get_user_model(),
        )
    }


def test_exam_categories_installed_by_migration():
    codes = set(ExamCategory.objects.values_list("code", flat=True))
    assert {code for code, _name in EXAM_CATEGORIES} <= codes
    assert ExamCategory.objects.get(code="110").name == "临床执业医师"
    assert ExamCategory.objects.get(code="260").name == "乡村全科执业助理医师"


def test_seed_demo_twice_no_duplicates():
    call_command("seed_demo", stdout=StringIO())
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert first["Candidate"] >= 30
    assert first["Province"] == 3


# Committed as from the command line, so the photo tasks run (eagerly) during the command.
@pytest.mark.django_db(transaction=True)
def test_seed_demo_quiet_about_each_task_at_normal_verbosity(caplog):
    out = StringIO()
    with caplog.at_level(logging.INFO):
        call_command("seed_demo", stdout=out)
    assert [r for r in caplog.records if r.levelno < logging.WARNING] == []
    assert len(out.getvalue().splitlines()) < 20
    # The levels are the command's alone: put back afterwards.
    assert logging.getLogger().level == logging.INFO


@pytest.mark.django_db(transaction=True)
def test_seed_demo_verbose_shows_the_task_lines(caplog):
    with caplog.at_level(logging.INFO):
        call_command("seed_demo", stdout=StringIO(), verbosity=2)
    assert any(r.name == "celery.app.trace" for r in caplog.records)


def test_seed_demo_organisation_and_people():
    call_command("seed_demo", stdout=StringIO())
    assert ExamYear.objects.get(year=2026).is_current
    modes = dict(Province.objects.values_list("code", "submit_mode"))
    assert modes == {
        "12": SubmitMode.EXPLICIT,
        "37": SubmitMode.EXPLICIT,
        "13": SubmitMode.AUTO_SAVE,
    }
    assert set(TestSite.objects.filter(province__code="37").values_list("code", flat=True)) >= {
        "3701",
        "3702",
        "3703",
    }
    tianjin = Province.objects.get(code="12")
    assert tianjin.opens_at < tianjin.closes_at
    # Most wait for a newcomer to activate them (the review seed may prepare a few).
    assert Candidate.objects.filter(activated_at__isnull=True).count() >= 20
    tags = {tag for t in Candidate.objects.values_list("tags", flat=True) for tag in t}
    assert {"应届毕业生", "在读研究生", "港澳台", "外籍"} <= tags
    assert Candidate.objects.values("category").distinct().count() >= 8
    User = get_user_model()
    for code in ("12", "37", "13"):
        for prefix, role in (
            ("site", StaffRole.SITE_REVIEWER),
            ("province", StaffRole.PROVINCE_REVIEWER),
            ("operator", StaffRole.OPERATOR),
        ):
            user = User.objects.get(username=f"{prefix}{code}")
            assert user.check_password("yishen2026")
            assert user.staff_profile.role == role
            assert user.staff_profile.province.code == code
        assert User.objects.get(username=f"site{code}").staff_profile.site is not None
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("yishen2026")
    assert admin.staff_profile.role == StaffRole.NATIONAL


def test_seed_demo_admin_exports_every_province(client):
    call_command("seed_demo", stdout=StringIO())
    login_with_code(client, get_user_model().objects.get(username="admin"), password="yishen2026")

    response = client.get("/api/v1/exports/results.csv")

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = body.strip().splitlines()
    assert len(rows) == 1 + Candidate.objects.filter(exam_year__is_current=True).count()


def test_make_entry_link_signs_fresh_token():
    candidate = CandidateFactory()
    out = StringIO()
    call_command(
        "make_entry_link",
        "--reg-no",
        candidate.reg_no,
        "--base-url",
        "https://ys.example",
        stdout=out,
    )
    url = urlparse(out.getvalue().strip())
    assert (url.scheme, url.netloc, url.path) == ("https", "ys.example", "/entry/")
    payload = verify_entry_token(parse_qs(url.query)["t"][0], secret=settings.YISHEN_ENTRY_SECRET)
    assert payload["reg_no"] == candidate.reg_no
    assert payload["site"] == candidate.site.code
    out2 = StringIO()
    call_command("make_entry_link", "--reg-no", candidate.reg_no, stdout=out2)
    assert out2.getvalue() != out.getvalue()  # a new nonce every time


def test_make_entry_link_unknown_reg_no():
    with pytest.raises(CommandError):
        call_command("make_entry_link", "--reg-no", "nobody", stdout=StringIO())
