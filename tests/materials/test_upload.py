"""The upload endpoint as page.js calls it: what it costs in SQL statements, that its answer
is what the page shows, and a storage that fails while a photo is saved."""

import errno
import os
import re

import pytest
from django.core.files.storage import FileSystemStorage

from materials.enums import ImageStatus
from materials.models import MaterialImage
from review.enums import EventAction
from review.models import ReviewEvent
from tests import photos
from tests.factories.accounts import CandidateFactory
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.materials.conftest import login_candidate
from tests.materials.helpers import stored_files

pytestmark = pytest.mark.django_db

# Session and candidate (1), the candidate's categories (1); in one transaction (savepoint and
# release here, BEGIN and COMMIT in production): the candidate's row lock (1), the candidate's
# current photos (1), the photo row (1), its audit row chained after the last (4: the
# candidate's row and the chain head locked in that order, the row, the head moved on); the
# quality advice of the machine pre-check for the processed photos of the category shown (1;
# none when it has none yet).
UPLOAD_STATEMENTS = 12


def upload(client, category, data, name="photo.jpg"):
    return client.post(
        f"/materials/category/{category.pk}/upload/",
        {"photos": photos.upload(data, name)},
        HTTP_X_YISHEN_FRAGMENT="1",
    )


def section(body: str, category) -> str:
    start = body.index(f'id="cat-{category.pk}"')
    return body[start : body.index("</section>", start)]


@pytest.fixture
def categories(candidate):
    return [
        MaterialCategoryFactory(
            province=candidate.province,
            exam_year=candidate.exam_year,
            name=f"材料{i}",
            required=True,
            min_count=1,
            max_count=10,
        )
        for i in range(6)
    ]


def test_upload_statements_the_same_with_1_and_many_photos(
    client, candidate, categories, django_assert_num_queries
):
    MaterialImageFactory(candidate=candidate, category=categories[0])
    many = CandidateFactory(site=candidate.site)
    for category in categories:
        for status in (ImageStatus.PENDING, ImageStatus.APPROVED, ImageStatus.PENDING):
            MaterialImageFactory(candidate=many, category=category, status=status)

    login_candidate(client, candidate)
    with django_assert_num_queries(UPLOAD_STATEMENTS):
        assert upload(client, categories[0], photos.make_typical_jpeg(seed=1)).status_code == 200
    login_candidate(client, many)
    with django_assert_num_queries(UPLOAD_STATEMENTS):
        assert upload(client, categories[0], photos.make_typical_jpeg(seed=2)).status_code == 200
    assert MaterialImage.objects.filter(candidate=many, category=categories[0]).count() == 4


def test_upload_into_a_category_without_processed_photos_reads_no_advice(
    client, candidate, categories, django_assert_num_queries
):
    # Photos elsewhere, processed, and one still processing here: none of them is shown with
    # advice in the answer (the pre-check only runs on processed photos).
    MaterialImageFactory(candidate=candidate, category=categories[1])
    MaterialImageFactory(candidate=candidate, category=categories[0], processed=False)
    login_candidate(client, candidate)
    with django_assert_num_queries(UPLOAD_STATEMENTS - 1):
        assert upload(client, categories[0], photos.make_typical_jpeg(seed=3)).status_code == 200


def test_upload_replacing_a_returned_photo_one_statement_more(
    client, candidate, categories, django_assert_num_queries
):
    kept = MaterialImageFactory(
        candidate=candidate, category=categories[0], status=ImageStatus.APPROVED
    )
    returned = MaterialImageFactory(
        candidate=candidate, category=categories[0], status=ImageStatus.RETURNED
    )
    login_candidate(client, candidate)
    with django_assert_num_queries(UPLOAD_STATEMENTS + 1):
        response = upload(client, categories[0], photos.make_typical_jpeg())
    assert response.status_code == 200
    returned.refresh_from_db()
    assert returned.removed_at is not None
    new = MaterialImage.objects.exclude(pk=kept.pk).get(
        candidate=candidate, removed_at__isnull=True
    )
    assert new.replaces == returned
    assert f'id="photo-{returned.pk}"' not in html_of(response)
    assert f'id="photo-{new.pk}"' in section(html_of(response), categories[0])


def html_of(response) -> str:
    return response.content.decode()


def test_upload_answer_is_what_the_page_shows(client, candidate, categories):
    """The answer is built from what the upload read (no second read of the photos): its
    section is the page's, rendered afterwards, but for the upload's notice."""
    MaterialImageFactory(candidate=candidate, category=categories[0])
    MaterialImageFactory(candidate=candidate, category=categories[1], status=ImageStatus.RETURNED)
    login_candidate(client, candidate)

    answer = html_of(upload(client, categories[0], photos.make_typical_jpeg()))

    page = html_of(client.get("/materials/"))
    assert "已上传 1 张。" in section(answer, categories[0])
    # Not processed yet (the task runs after the commit): the page says so, apart from the
    # notice, so that the words go with the state.
    assert "正在处理（加水印）" in section(answer, categories[0])
    assert comparable(section(answer, categories[0])) == comparable(section(page, categories[0]))
    assert "2 / 10" in section(answer, categories[0])
    # The status panel lists the categories still missing: no longer the one uploaded to.
    missing = answer[answer.index('id="missing-list"') :]
    missing = missing[: missing.index("</ul>")]
    assert categories[0].name not in missing and categories[2].name in missing


def comparable(html: str) -> str:
    """Without the upload's notice and the CSRF token (masked anew on every page)."""
    html = re.sub(r'<ul class="upload-notices">.*?</ul>', "", html, flags=re.S)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r"\s+", " ", html)


class FullDiskStorage(FileSystemStorage):
    """A disk that fills up half-way through the photo: part of the file is written, then
    the write fails, as it does when the disk is full."""

    def _save(self, name, content):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content.read()[:1000])
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": f"{__name__}.FullDiskStorage",
            "OPTIONS": {"location": settings.MEDIA_ROOT},
        },
    }


def test_storage_failing_during_upload_clear_message_nothing_left(
    client, candidate, categories, full_disk, django_capture_on_commit_callbacks
):
    login_candidate(client, candidate)
    files_before = stored_files()

    with django_capture_on_commit_callbacks() as queued:
        response = upload(client, categories[0], photos.make_typical_jpeg())

    assert response.status_code == 400
    assert "照片暂时无法保存，本次上传没有成功" in section(html_of(response), categories[0])
    assert not MaterialImage.objects.exists()
    assert not ReviewEvent.objects.filter(action=EventAction.IMAGE_UPLOAD).exists()
    assert stored_files() == files_before
    assert queued == []


def test_storage_failing_without_javascript_message_on_the_page(
    client, candidate, categories, full_disk
):
    login_candidate(client, candidate)

    response = client.post(
        f"/materials/category/{categories[0].pk}/upload/",
        {"photos": photos.upload(photos.make_typical_jpeg())},
    )

    assert response.status_code == 302
    page = html_of(client.get("/materials/"))
    assert "照片暂时无法保存，本次上传没有成功" in section(page, categories[0])
    assert not MaterialImage.objects.exists()


def test_photo_for_a_full_category_refused_with_the_full_message(client, candidate):
    category = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, name="学历证明", max_count=1
    )
    MaterialImageFactory(candidate=candidate, category=category)
    login_candidate(client, candidate)

    response = upload(client, category, photos.make_jpeg(640, 480, seed=4))

    assert response.status_code == 400
    body = section(html_of(response), category)
    assert (
        "「学历证明」最多上传 1 张，已经传满。" in body
        and "已上传" not in body.split("upload-feedback")[1]
    )
