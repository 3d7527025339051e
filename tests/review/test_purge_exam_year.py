"""`manage.py purge_exam_year YEAR`: after the cycle, every photo and derivative of the year
leaves the storage (filesystem and S3) and the personal fields are cleared; the anonymous
counts and the audit trail stay; other years are untouched; a dry run changes nothing."""

from collections import Counter
from io import StringIO

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone
from moto import mock_aws

from accounts.enums import CandidateEventAction, CandidateStatus
from accounts.models import Candidate, CandidateEvent, ExamYear, HandoffToken, PhoneVerification
from accounts.services.handoff import handoff_consume, handoff_create
from materials.models import IMAGE_FOLDERS, MaterialImage, PhotoCheck
from materials.processing import image_process
from notifications.models import Notification
from review.models import ReviewEvent
from tests.accounts.helpers import candidate_entry_url
from tests.factories.accounts import CandidateFactory, ExamYearFactory, TestSiteFactory
from tests.factories.materials import MaterialImageFactory
from tests.factories.notifications import NotificationFactory
from tests.factories.results import ReviewEventFactory

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
NUMBER = "37010219900101123X"
BUCKET = "yishen-purge-test"


@pytest.fixture(autouse=True)
def own_media(settings, tmp_path):
    """A media folder of the test's own: the purge sweeps whole year folders."""
    default = {**settings.STORAGES["default"]}
    default["OPTIONS"] = {**default["OPTIONS"], "location": str(tmp_path)}
    settings.STORAGES = {**settings.STORAGES, "default": default}


def _stored_names(images) -> set[str]:
    return {
        name
        for image in images
        for name in (image.original.name, image.display.name, image.thumbnail.name)
        if name
    }


def _exists(names) -> set[str]:
    return {name for name in names if default_storage.exists(name)}


def _cycle(year: int, *, current: bool, photos: int = 2):
    """A year's candidates: one approved with photos, its pre-check, phone code, SMS and
    audit rows, one rejected; plus a file of the year that no row names any more."""
    exam_year = ExamYearFactory(year=year, is_current=current)
    site = TestSiteFactory()
    approved = CandidateFactory(
        exam_year=exam_year,
        site=site,
        reg_no=f"{year}00000001",
        name="张三",
        id_no=NUMBER,
        phone=PHONE,
        roster_mobile="13812345678",
        address="山东省济南市历下区经十路1号",
        tags=["应届毕业生"],
        registration_changes=[{"field": "name", "old": "张叁", "new": "张三"}],
        status=CandidateStatus.APPROVED,
    )
    rejected = CandidateFactory(
        exam_year=exam_year, site=site, reg_no=f"{year}00000002", status=CandidateStatus.REJECTED
    )
    images = [MaterialImageFactory(candidate=approved) for _ in range(photos)]
    images.append(MaterialImageFactory(candidate=rejected))
    PhotoCheck.objects.create(
        image=images[0],
        candidate=approved,
        exam_year=exam_year,
        read="id_card",
        dhash=1,
        dhash_0=1,
        dhash_1=0,
        dhash_2=0,
        dhash_3=0,
        id_no_masked="370***********123X",
        name_read="张三",
        lines=[{"text": "姓名张三"}],
    )
    PhoneVerification.objects.create(
        candidate=approved, phone=PHONE, code_hash="x", expires_at=timezone.now()
    )
    NotificationFactory(
        candidate=approved,
        recipient=PHONE,
        text="张三，您的材料已审核通过。",
        language="en",
        params={"name": "张三", "deadline": "2025-5-10 17:00"},
        fallback_params={"name": "张三", "deadline": "2025年5月10日17:00"},
    )
    ReviewEventFactory(candidate=approved, data={"note": "audit"})
    CandidateEvent.objects.create(candidate=approved, action=CandidateEventAction.ENTRY_FIRST)
    orphan = default_storage.save(f"originals/{year}/left-behind", ContentFile(b"orphan"))
    return exam_year, [approved, rejected], images, orphan


def _counts(year: int) -> Counter:
    return Counter(
        Candidate.objects.filter(exam_year__year=year).values_list(
            "site_id", "category_id", "status"
        )
    )


def _audit() -> list:
    return sorted(
        list(ReviewEvent.objects.values_list("pk", "candidate_id", "action", "data"))
        + list(CandidateEvent.objects.values_list("pk", "candidate_id", "action", "data"))
    )


@pytest.fixture
def two_years():
    past = _cycle(2025, current=False)
    present = _cycle(2026, current=True)
    # The present year's windows are open: it is the one the purge must refuse.
    return past, present


def test_purge_removes_every_photo_and_derivative_of_the_year_and_keeps_other_years(two_years):
    (_year, _people, images, orphan), (_y, _p, other_images, other_orphan) = two_years
    names = _stored_names(images) | {orphan}
    other_names = _stored_names(other_images) | {other_orphan}
    assert len(names) == 3 * 3 + 1 and _exists(names) == names

    call_command("purge_exam_year", "2025", stdout=StringIO())

    assert _exists(names) == set()
    assert not any(default_storage.exists(f"{folder}/2025") for folder in IMAGE_FOLDERS)
    assert _exists(other_names) == other_names
    assert {
        (i.original.name, i.display.name, i.thumbnail.name, i.sha256)
        for i in MaterialImage.objects.filter(candidate__exam_year__year=2025)
    } == {("", "", "", "")}
    assert not PhotoCheck.objects.filter(exam_year__year=2025).exists()
    assert PhotoCheck.objects.filter(exam_year__year=2026).count() == 1


def test_purge_clears_personal_fields_and_keeps_counts_and_the_audit_trail(two_years):
    (_year, (approved, _rejected), _images, _orphan), (_y, (other, _r), _i, _o) = two_years
    _token, raw = handoff_create(candidate=approved)
    handoff_consume(raw=raw, ip="203.0.113.7")
    other_link, _raw = handoff_create(candidate=other)
    counts, audit = _counts(2025), _audit()
    other_sms = NotificationFactory(recipient="13800000000")  # of no candidate of the year

    call_command("purge_exam_year", "2025", stdout=StringIO())

    approved.refresh_from_db()
    assert (
        approved.name,
        approved.id_no,
        approved.id_no_hash,
        approved.phone,
        approved.roster_mobile,
        approved.address,
        approved.tags,
        approved.registration_changes,
    ) == ("", "", "", "", "", "", [], [])
    assert approved.reg_no == "202500000001"
    assert not Candidate.objects.with_id_no(NUMBER).filter(exam_year__year=2025).exists()
    assert not PhoneVerification.objects.filter(candidate=approved).exists()
    assert not HandoffToken.objects.filter(candidate=approved).exists()  # with the address used
    assert HandoffToken.objects.filter(pk=other_link.pk).exists()
    assert list(
        Notification.objects.filter(candidate=approved).values_list(
            "recipient", "text", "params", "fallback_params"
        )
    ) == [("139****5678", "", {}, {})]
    assert list(Notification.objects.filter(candidate=other).values_list("recipient", "text")) == [
        (PHONE, "张三，您的材料已审核通过。")
    ]
    other_sms.refresh_from_db()
    assert other_sms.recipient == "13800000000"
    assert _counts(2025) == counts
    assert _audit() == audit
    other.refresh_from_db()
    assert (other.name, other.id_no, other.phone) == ("张三", NUMBER, PHONE)
    assert ExamYear.objects.get(year=2025).purged_at is not None


def test_purge_dry_run_reports_counts_and_bytes_and_changes_nothing(two_years):
    (_year, _people, images, orphan), _present = two_years
    names = _stored_names(images) | {orphan}
    size = sum(default_storage.size(name) for name in names)
    before = list(Candidate.objects.order_by("pk").values())
    out = StringIO()

    call_command("purge_exam_year", "2025", "--dry-run", stdout=out)

    report = out.getvalue()
    assert "试运行" in report
    assert f"文件 {len(names)} 个" in report
    assert f"{size} 字节" in report
    assert "考生 2 名" in report
    assert _exists(names) == names
    assert list(Candidate.objects.order_by("pk").values()) == before
    assert PhotoCheck.objects.filter(exam_year__year=2025).count() == 1
    assert ExamYear.objects.get(year=2025).purged_at is None


def test_purge_refuses_the_year_whose_upload_window_is_open(two_years):
    _past, (_year, (candidate, _r), images, _orphan) = two_years
    names = _stored_names(images)

    with pytest.raises(CommandError, match="上传期尚未结束"):
        call_command("purge_exam_year", "2026", stdout=StringIO())

    assert _exists(names) == names
    candidate.refresh_from_db()
    assert candidate.name == "张三"


def test_purge_refuses_a_year_with_candidates_still_under_review(two_years):
    (_year, (approved, _r), images, _orphan), _present = two_years
    Candidate.objects.filter(pk=approved.pk).update(status=CandidateStatus.SUBMITTED)

    with pytest.raises(CommandError, match="仍有 1 名考生在审核中"):
        call_command("purge_exam_year", "2025", stdout=StringIO())

    assert _exists(_stored_names(images)) == _stored_names(images)


def test_purge_refuses_an_unknown_year(two_years):
    with pytest.raises(CommandError, match="没有 2019 年度"):
        call_command("purge_exam_year", "2019", stdout=StringIO())


def test_purge_run_twice_finds_nothing_more(two_years):
    call_command("purge_exam_year", "2025", stdout=StringIO())
    out = StringIO()

    call_command("purge_exam_year", "2025", stdout=out)

    assert "文件 0 个" in out.getvalue()


@pytest.fixture
def s3_storage(settings):
    """The production storage class on an in-process S3 (moto)."""
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "config.storage.PrivateS3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "region_name": "us-east-1",
                    "access_key": "test",
                    "secret_key": "test",
                    "default_acl": "private",
                    "file_overwrite": False,
                },
            },
        }
        yield boto3.client("s3", region_name="us-east-1")


def _keys(client) -> set[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_purge_on_s3_leaves_no_object_of_the_year_and_every_other(s3_storage):
    _year, _people, images, orphan = _cycle(2025, current=False)
    _y, _p, other_images, other_orphan = _cycle(2026, current=True)
    names = _stored_names(images) | {orphan}
    other_names = _stored_names(other_images) | {other_orphan}
    assert _keys(s3_storage) == names | other_names
    out = StringIO()

    call_command("purge_exam_year", "2025", "--dry-run", stdout=out)
    assert f"文件 {len(names)} 个" in out.getvalue()
    assert _keys(s3_storage) == names | other_names

    call_command("purge_exam_year", "2025", stdout=StringIO())

    assert _keys(s3_storage) == other_names
    assert not [key for key in _keys(s3_storage) if "/2025/" in key]


def test_a_photo_and_its_derivatives_are_stored_in_their_year_folder():
    candidate = CandidateFactory(exam_year=ExamYearFactory(year=2025, is_current=False))
    image = MaterialImageFactory(candidate=candidate, processed=False)

    image_process(image_id=image.pk)

    image.refresh_from_db()
    assert image.original.name.startswith("originals/2025/")
    assert image.display.name.startswith("display/2025/")
    assert image.thumbnail.name.startswith("thumbs/2025/")


def test_entry_into_a_purged_year_is_refused_and_brings_no_personal_data_back(
    two_years, client, caplog
):
    (_year, (approved, _rejected), _images, _orphan), _present = two_years
    call_command("purge_exam_year", "2025", stdout=StringIO())
    approved.refresh_from_db()
    entered_before = approved.last_entry_at

    response = client.get(candidate_entry_url(approved, name="张三", id_no=NUMBER))

    assert response.status_code == 403
    assert "该年度的在线审核已结束" in response.content.decode()
    assert "entry refused: year_purged" in caplog.text
    approved.refresh_from_db()
    # Nothing written back: no name, no number, and the refused entry is not an entry.
    assert (approved.name, approved.id_no, approved.last_entry_at) == ("", "", entered_before)
