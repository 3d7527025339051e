"""A photo marked 退回 takes no place in its category (the next upload replaces it): the count
and the upload hint say so, and they say what the upload then accepts."""

import pytest
from django.core.exceptions import ValidationError

from accounts.enums import CandidateStatus
from materials.pagecontext import category_blocks
from materials.services import image_upload
from review import services
from tests import photos
from tests.factories.accounts import site_reviewer
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.factories.review import candidate_with_photos
from tests.materials.conftest import login_candidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(db):
    """The one photo in 其他 (at most 3) returned by the site, the candidate's other
    category approved."""
    candidate, cats, imgs = candidate_with_photos(photos=1, categories=1)
    other = MaterialCategoryFactory(
        province=candidate.province, exam_year=candidate.exam_year, name="其他", max_count=3
    )
    photo = MaterialImageFactory(candidate=candidate, category=other)
    reviewer = site_reviewer(candidate.site)
    services.image_approve(image=imgs[0], by=reviewer)
    services.image_return(image=photo, by=reviewer, reason="图片不清晰")
    services.candidate_return(candidate=candidate, by=reviewer)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.RETURNED
    return candidate, other, photo


def test_returned_photo_is_counted_out_and_the_free_places_are_what_the_upload_accepts(returned):
    candidate, other, photo = returned
    (block,) = [b for b in category_blocks(candidate) if b.category == other]
    assert (block.count, block.returned_count, block.free, block.can_upload) == (0, 1, 3, True)

    uploads = [
        image_upload(
            candidate=candidate,
            category=other,
            file=photos.upload(photos.make_typical_jpeg(seed=seed)),
        ).image
        for seed in range(block.free)
    ]
    # The first took the returned photo's place; one more is refused.
    assert uploads[0].replaces_id == photo.pk
    with pytest.raises(ValidationError) as info:
        image_upload(
            candidate=candidate,
            category=other,
            file=photos.upload(photos.make_typical_jpeg(seed=9)),
        )
    assert info.value.code == "count"
    (block,) = [b for b in category_blocks(candidate) if b.category == other]
    assert (block.count, block.returned_count, block.free) == (3, 0, 0)


def test_returned_category_count_and_hint_name_the_returned_photo(client, returned):
    candidate, other, _photo = returned
    body = login_candidate(client, candidate).get("/materials/").content.decode()
    section = body[body.index(f'id="cat-{other.pk}"') :]
    section = section[: section.index("</section>")]
    assert '0 / 3<span class="count-returned">（不含退回的 1 张）</span>' in section
    assert 'aria-label="已上传 0 张（不含退回的 1 张），最多 3 张"' in section
    assert "还可上传 3 张。上传的新图片先替换退回的 1 张。" in section
    assert 'data-free="3"' in body


def test_category_without_returned_photo_says_no_returned_count(client, returned):
    candidate, other, _photo = returned
    image_upload(
        candidate=candidate, category=other, file=photos.upload(photos.make_typical_jpeg(seed=1))
    )
    body = login_candidate(client, candidate).get("/materials/").content.decode()
    assert "不含退回" not in body
    assert "先替换退回" not in body
    assert 'aria-label="已上传 1 张，最多 3 张"' in body
