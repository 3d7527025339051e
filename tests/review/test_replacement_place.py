"""A photo sent back and replaced: the new photo stands where the returned one stood, on the
candidate's page and on the reviewer's (its filmstrip, J/K, 第 n / m 张), whether the candidate
uploads over the returned photo or deletes it first, with the returned photo beside it for
comparison. A place emptied in an earlier round is not filled again."""

import importlib
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from accounts.enums import CandidateStatus
from materials.models import MaterialImage
from review import services
from tests import photos
from tests.factories.materials import MaterialImageFactory
from tests.factories.review import candidate_with_photos
from tests.materials.conftest import login_candidate
from tests.materials.test_upload import UPLOAD_STATEMENTS

pytestmark = pytest.mark.django_db

S = CandidateStatus


@pytest.fixture
def returned(org):
    """Three photos in one category; the site approved the 1st and 3rd, returned the 2nd and
    returned the candidate. Returns (candidate, category, [the three photos])."""
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=3)
    reviewer = org.staff["site"]
    services.image_approve(image=imgs[0], by=reviewer)
    services.image_return(image=imgs[1], by=reviewer, reason="图片不清晰")
    services.image_approve(image=imgs[2], by=reviewer)
    candidate = services.candidate_return(candidate=candidate, by=reviewer)
    return candidate, cats[0], imgs


@pytest.fixture
def candidate_client(returned):
    return login_candidate(Client(), returned[0])


def _upload(client, category, seed=1):
    return client.post(
        reverse("materials:upload", kwargs={"category_id": category.pk}),
        {"photos": photos.upload(photos.make_typical_jpeg(seed=seed), "photo.jpg")},
        HTTP_X_YISHEN_FRAGMENT="1",
    )


def _delete(client, image):
    return client.post(reverse("materials:delete", kwargs={"pk": image.pk}))


def _order_on_candidate_page(html: str, category) -> list[int]:
    start = html.index(f'id="cat-{category.pk}"')
    section = html[start : html.index("</section>", start)]
    return [int(pk) for pk in re.findall(r'id="photo-(\d+)"', section)]


def _reviewer_page(client, org, candidate) -> str:
    client.force_login(org.staff["site"])
    return client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()


def _order_on_reviewer_page(html: str) -> list[int]:
    """The photos as the page shows them and J/K steps through them (the articles), and the
    filmstrip's chips, which must agree."""
    articles = [int(pk) for pk in re.findall(r'<article [^>]*id="photo-(\d+)"', html)]
    chips = [int(pk) for pk in re.findall(r'data-goto="(\d+)"', html)]
    assert chips == articles
    return articles


def _new_photo(candidate, *, besides) -> MaterialImage:
    return MaterialImage.objects.exclude(pk__in=[img.pk for img in besides]).get(
        candidate=candidate, removed_at__isnull=True
    )


def test_upload_over_a_returned_photo_takes_its_place_on_the_candidates_page(
    candidate_client, returned
):
    candidate, category, (first, second, third) = returned
    answer = _upload(candidate_client, category).content.decode()
    new = _new_photo(candidate, besides=[first, third])
    assert new.replaces == second
    assert _order_on_candidate_page(answer, category) == [first.pk, new.pk, third.pk]
    page = candidate_client.get(reverse("materials:page")).content.decode()
    assert _order_on_candidate_page(page, category) == [first.pk, new.pk, third.pk]


def test_upload_over_a_returned_photo_takes_its_place_on_the_reviewers_page(
    client, org, candidate_client, returned
):
    candidate, category, (first, second, third) = returned
    _upload(candidate_client, category)
    services.candidate_resubmit(candidate=candidate)
    new = _new_photo(candidate, besides=[first, third])
    body = _reviewer_page(client, org, candidate)
    assert _order_on_reviewer_page(body) == [first.pk, new.pk, third.pk]
    article = body[body.index(f'id="photo-{new.pk}"') :]
    article = article[: article.index("</article>")]
    assert "第 2 / 3 张" in article
    # The returned photo beside it, to compare.
    assert reverse("materials:image", kwargs={"pk": second.pk, "variant": "display"}) in article


def test_photo_uploaded_after_deleting_the_returned_one_takes_its_place(
    client, org, candidate_client, returned, django_assert_num_queries
):
    candidate, category, (first, second, third) = returned
    assert _delete(candidate_client, second).status_code == 302
    # Filling the emptied place costs no statement more than an upload into a new one.
    with django_assert_num_queries(UPLOAD_STATEMENTS):
        answer = _upload(candidate_client, category).content.decode()
    new = _new_photo(candidate, besides=[first, third])
    assert new.replaces == second
    assert _order_on_candidate_page(answer, category) == [first.pk, new.pk, third.pk]

    services.candidate_resubmit(candidate=candidate)
    body = _reviewer_page(client, org, candidate)
    assert _order_on_reviewer_page(body) == [first.pk, new.pk, third.pk]
    # Shown beside the new photo as its old version, not as a photo deleted on its own.
    article = body[body.index(f'id="photo-{new.pk}"') :]
    article = article[: article.index("</article>")]
    assert reverse("materials:image", kwargs={"pk": second.pk, "variant": "display"}) in article
    assert "考生已删除的图片" not in body


def test_two_returned_photos_deleted_are_refilled_in_page_order(org):
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=4)
    reviewer = org.staff["site"]
    for img, decide in zip(imgs, ["approve", "return", "return", "approve"], strict=True):
        if decide == "approve":
            services.image_approve(image=img, by=reviewer)
        else:
            services.image_return(image=img, by=reviewer, reason="图片不清晰")
    services.candidate_return(candidate=candidate, by=reviewer)
    candidate_client = login_candidate(Client(), candidate)
    _delete(candidate_client, imgs[2])
    _delete(candidate_client, imgs[1])
    _upload(candidate_client, cats[0], seed=1)
    answer = _upload(candidate_client, cats[0], seed=2).content.decode()
    first_new, second_new = MaterialImage.objects.filter(
        candidate=candidate, removed_at__isnull=True
    ).exclude(pk__in=[imgs[0].pk, imgs[3].pk])
    assert (first_new.replaces, second_new.replaces) == (imgs[1], imgs[2])
    assert _order_on_candidate_page(answer, cats[0]) == [
        imgs[0].pk,
        first_new.pk,
        second_new.pk,
        imgs[3].pk,
    ]


def test_a_replacement_returned_again_and_replaced_keeps_the_place(
    client, org, candidate_client, returned
):
    candidate, category, (first, second, third) = returned
    _upload(candidate_client, category, seed=1)
    candidate = services.candidate_resubmit(candidate=candidate)
    new = _new_photo(candidate, besides=[first, third])
    reviewer = org.staff["site"]
    services.image_return(image=new, by=reviewer, reason="图片不完整")
    services.candidate_return(candidate=candidate, by=reviewer)
    _upload(candidate_client, category, seed=2)
    newest = _new_photo(candidate, besides=[first, third])
    assert newest.replaces == new
    page = candidate_client.get(reverse("materials:page")).content.decode()
    assert _order_on_candidate_page(page, category) == [first.pk, newest.pk, third.pk]

    services.candidate_resubmit(candidate=candidate)
    body = _reviewer_page(client, org, candidate)
    assert _order_on_reviewer_page(body) == [first.pk, newest.pk, third.pk]
    assert "替换前的旧版本（2）" in body


def test_a_place_emptied_before_the_last_submission_is_not_filled_again(
    org, candidate_client, returned
):
    """Round 1: the 2nd photo returned and deleted, nothing uploaded (two are enough). Round 2:
    the 3rd returned; the candidate deletes it and uploads: the new photo replaces the 3rd."""
    candidate, category, (first, second, third) = returned
    _delete(candidate_client, second)
    candidate = services.candidate_resubmit(candidate=candidate)
    reviewer = org.staff["site"]
    services.image_return(image=third, by=reviewer, reason="图片不清晰")
    services.candidate_return(candidate=candidate, by=reviewer)
    _delete(candidate_client, third)
    answer = _upload(candidate_client, category).content.decode()
    new = _new_photo(candidate, besides=[first])
    assert new.replaces == third
    assert _order_on_candidate_page(answer, category) == [first.pk, new.pk]


def test_upload_without_a_returned_photo_goes_to_the_end(candidate_client, returned):
    candidate, category, (first, second, third) = returned
    _upload(candidate_client, category, seed=1)  # replaces the 2nd
    answer = _upload(candidate_client, category, seed=2).content.decode()
    latest = MaterialImage.objects.filter(candidate=candidate).latest("id")
    assert latest.replaces is None
    assert _order_on_candidate_page(answer, category)[-1] == latest.pk


def test_migration_places_replacements_uploaded_before(org):
    """The data migration: a chain of replacements stands at its first photo."""
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=2)
    second = MaterialImageFactory(candidate=candidate, category=cats[0], replaces=imgs[0])
    third = MaterialImageFactory(candidate=candidate, category=cats[0], replaces=second)
    MaterialImage.objects.update(place=None)
    migration = importlib.import_module("materials.migrations.0006_photo_place_for_replacements")
    migration.place_replacements(apps, None)
    places = dict(MaterialImage.objects.values_list("pk", "place"))
    assert places == {
        imgs[0].pk: None,
        imgs[1].pk: None,
        second.pk: imgs[0].pk,
        third.pk: imgs[0].pk,
    }
