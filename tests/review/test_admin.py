"""Admin of the review side: operators manage their province's reasons, read the national
ones, never another province's; the audit trail is read-only."""

import pytest
from django.urls import reverse

from accounts.enums import CandidateStatus
from review import services
from review.models import ReturnReason, ReviewEvent
from tests.factories.accounts import operator
from tests.factories.review import candidate_with_photos

pytestmark = pytest.mark.django_db


def test_operator_sees_own_and_national_reasons_not_other_province(client, org):
    mine = ReturnReason.objects.create(province=org.province, text="本省原因")
    theirs = ReturnReason.objects.create(province=org.other_province, text="外省原因")
    national = ReturnReason.objects.get(province=None, text="图片不清晰")
    client.force_login(org.staff["operator"])
    body = client.get(reverse("admin:review_returnreason_changelist")).content.decode()
    assert "本省原因" in body
    assert "图片不清晰" in body
    assert "外省原因" not in body
    assert (
        client.get(reverse("admin:review_returnreason_change", args=[mine.pk])).status_code == 200
    )
    assert (
        client.get(reverse("admin:review_returnreason_change", args=[theirs.pk])).status_code == 404
    )
    # National rows: readable, not changeable.
    response = client.post(
        reverse("admin:review_returnreason_change", args=[national.pk]),
        {"text": "改了", "order": 1, "is_active": "on"},
    )
    assert response.status_code == 403
    national.refresh_from_db()
    assert national.text == "图片不清晰"


def test_operator_adds_reason_to_own_province(client, org):
    client.force_login(org.staff["operator"])
    response = client.post(
        reverse("admin:review_returnreason_add"),
        {"province": org.other_province.pk, "text": "想加到外省", "order": 5, "is_active": "on"},
    )
    assert response.status_code == 200  # the other province is not a valid choice
    assert not ReturnReason.objects.filter(text="想加到外省").exists()
    client.post(
        reverse("admin:review_returnreason_add"),
        {"province": org.province.pk, "text": "本省新增", "order": 5, "is_active": "on"},
    )
    assert ReturnReason.objects.get(text="本省新增").province == org.province


def test_review_event_admin_read_only_and_scoped(client, org):
    candidate, cats, imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED, site=org.site)
    far, _c, far_imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED, site=org.far_site)
    services.image_approve(image=imgs[0], by=org.staff["site"])
    services.image_approve(image=far_imgs[0], by=org.staff["far_site"])
    client.force_login(org.staff["operator"])
    body = client.get(reverse("admin:review_reviewevent_changelist")).content.decode()
    assert candidate.reg_no in body
    assert far.reg_no not in body
    event = ReviewEvent.objects.get(candidate=candidate)
    response = client.post(reverse("admin:review_reviewevent_change", args=[event.pk]), {})
    assert response.status_code == 403
    assert client.get(reverse("admin:review_reviewevent_add")).status_code == 403


def test_other_operator_cannot_see_reason(client, org):
    other = operator(org.other_province)
    mine = ReturnReason.objects.create(province=org.province, text="本省原因")
    client.force_login(other)
    assert (
        client.get(reverse("admin:review_returnreason_change", args=[mine.pk])).status_code == 404
    )


@pytest.mark.parametrize(
    "url_name", ["admin:review_reviewevent_changelist", "admin:review_returnreason_changelist"]
)
def test_admin_lists_query_count_constant(client, org, url_name, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.staff["operator"])
    candidate, cats, imgs = candidate_with_photos(status=CandidateStatus.SUBMITTED, site=org.site)
    services.image_approve(image=imgs[0], by=org.staff["site"])
    ReturnReason.objects.create(province=org.province, text="本省原因0")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(url_name)).status_code == 200
    for i in range(20):
        more, _c, more_imgs = candidate_with_photos(
            status=CandidateStatus.SUBMITTED, site=org.site, categories=cats
        )
        services.image_approve(image=more_imgs[0], by=org.staff["site"])
        ReturnReason.objects.create(province=org.province, text=f"本省原因{i + 1}")
    with django_assert_num_queries(len(ctx)):
        client.get(reverse(url_name))
