"""Every admin page opens: the changelist, the add page and the change page of every
registered model, with real data (photos with their files, categories with an example image
and an attachment, audit rows, messages), for an operator and for the superuser. No 5xx.

Stored files have no public URL (MEDIA_URL is None, as deployed): the admin links them to
the permission-checked views instead."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse

from accounts.enums import CandidateStatus
from accounts.services import staff_second_factor_reset
from materials.enums import ProcessingState
from notifications.enums import NotificationStatus, SmsKind
from notifications.models import SmsTemplate
from review.models import ReviewNote
from tests import photos
from tests.factories.accounts import (
    ProvinceFactory,
    TestSiteFactory,
    national_admin,
    operator,
    site_reviewer,
)
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.factories.notifications import NotificationFactory
from tests.factories.results import status_change
from tests.factories.review import ReturnReasonFactory, candidate_with_photos

pytestmark = pytest.mark.django_db

REGISTERED = [model for model in apps.get_models() if admin.site.is_registered(model)]


@pytest.fixture
def world(settings):
    assert settings.MEDIA_URL is None  # the deployed value: no storage URL to lean on
    province = ProvinceFactory(code="12", name="天津")
    site = TestSiteFactory(province=province, code="1201", name="和平区")
    candidate, cats, images = candidate_with_photos(
        status=CandidateStatus.SUBMITTED, site=site, photos=2
    )
    category = cats[0]
    category.example_image.save("id-card.jpg", ContentFile(photos.make_typical_jpeg()))
    category.attachment.save("form.pdf", ContentFile(photos.make_pdf()))
    category.attachment_name = "个人承诺书"
    category.save()
    # A national template with an example (operators may view it, not change it), as the
    # demo seeds them: its page is read-only for an operator.
    national = MaterialCategoryFactory(
        province=None, exam_year=candidate.exam_year, name="身份证明"
    )
    national.example_image.save("national.jpg", ContentFile(photos.make_typical_jpeg(seed=2)))
    national.attachment.save("national.pdf", ContentFile(photos.make_pdf()))
    national.save()
    inactive = MaterialCategoryFactory(
        province=province, exam_year=candidate.exam_year, name="停用类别", is_active=False
    )
    inactive.example_image.save("old.jpg", ContentFile(photos.make_typical_jpeg(seed=1)))
    MaterialImageFactory(candidate=candidate, category=category, processed=False)
    status_change(candidate, CandidateStatus.RETURNED, reasons=[(category.name, "不清晰")])
    reviewer = site_reviewer(site, username="site1201")
    ReviewNote.objects.create(candidate=candidate, author=reviewer, text="请核对反面")
    ReturnReasonFactory(province=province, text="照片模糊")
    NotificationFactory(candidate=candidate, status=NotificationStatus.SENT)
    NotificationFactory(candidate=candidate, status=NotificationStatus.UNKNOWN)
    SmsTemplate.objects.create(
        province_code="12", kind=SmsKind.RETURN, template_code="SMS_1", params="hours"
    )
    Group.objects.create(name="考区管理员")
    # django-axes' rows: a locked-out log-in, its failure log, a log-in (only the superuser
    # sees these; an operator is refused them).
    seen = {"user_agent": "Chromium", "ip_address": "10.1.0.7", "username": "site1201"}
    AccessAttempt.objects.create(
        **seen, http_accept="*/*", path_info="/review/login/", failures_since_start=5
    )
    AccessFailureLog.objects.create(**seen, path_info="/review/login/", locked_out=True)
    AccessLog.objects.create(**seen, path_info="/review/login/")
    # As the demo's `admin`: a superuser with national scope (photos are served to staff by
    # their scope). The reset of a reviewer's second factor is an audit row with no candidate.
    superuser = national_admin(username="admin", is_superuser=True)
    staff_second_factor_reset(user=reviewer, by=superuser, ip="10.1.0.8")
    return {
        "operator": operator(province, username="operator12"),
        "superuser": superuser,
        "category": category,
        "national": national,
        "images": images,
    }


def _pages_of(user):
    """(url, what) of every admin page the user could reach: the change page of every object
    the admin shows them (editable or view-only)."""
    request = RequestFactory().get("/admin/")
    request.user = user
    for model in REGISTERED:
        model_admin = admin.site.get_model_admin(model)
        info = (model._meta.app_label, model._meta.model_name)
        yield reverse("admin:{}_{}_changelist".format(*info)), f"{info} changelist"
        yield reverse("admin:{}_{}_add".format(*info)), f"{info} add"
        objects = list(model_admin.get_queryset(request).order_by("pk")[:50])
        assert objects, f"no {model.__name__} visible to {user}: give the test data"
        for obj in objects:
            url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            yield url, f"{info} change {obj.pk}"


@pytest.mark.parametrize("who", ["operator", "superuser"])
def test_admin_every_page_opens_without_server_error(client, world, who):
    user = world[who]
    client.force_login(user)
    failures = []
    for url, what in _pages_of(user):
        status = client.get(url).status_code
        if status >= 500:
            failures.append(f"{what} {url}: {status}")
    assert failures == []


@pytest.mark.parametrize("who", ["operator", "superuser"])
def test_admin_category_links_example_and_attachment_to_their_views(client, world, who):
    category = world["category"]
    client.force_login(world[who])
    page = client.get(f"/admin/materials/materialcategory/{category.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    example = reverse("materials:example", kwargs={"category_id": category.pk})
    attachment = reverse("materials:attachment", kwargs={"category_id": category.pk})
    assert f'href="{example}"' in body and f'href="{attachment}"' in body
    assert client.get(example).status_code == 200
    assert client.get(attachment).status_code == 200


@pytest.mark.parametrize("who", ["operator", "superuser"])
def test_admin_photo_links_each_file_to_the_checked_view(client, world, who):
    image = world["images"][0]
    assert image.processing == ProcessingState.READY
    client.force_login(world[who])
    page = client.get(f"/admin/materials/materialimage/{image.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    for variant in ("original", "display", "thumb"):
        url = reverse("materials:image", kwargs={"pk": image.pk, "variant": variant})
        assert f'href="{url}"' in body
        assert client.get(url).status_code == 200
    assert image.original.name not in body  # the storage name is not a link either


def test_admin_operator_views_a_national_template_with_links_to_its_files(client, world):
    national = world["national"]
    client.force_login(world["operator"])
    page = client.get(f"/admin/materials/materialcategory/{national.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="name"' not in body  # view-only: no form field to change it
    example = reverse("materials:example", kwargs={"category_id": national.pk})
    attachment = reverse("materials:attachment", kwargs={"category_id": national.pk})
    assert f'href="{example}"' in body and f'href="{attachment}"' in body
    assert national.example_image.name not in body
