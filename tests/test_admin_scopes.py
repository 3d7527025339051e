"""Scopes in the admin, for every model it shows (parametrised over the admin registry, so a
model registered later without a case here fails): an operator creates and edits only their
own province's rows, never another province's and never a national (province-less) one; only
national staff make national rows."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory

from accounts.models import (
    Candidate,
    ExamCategory,
    ExamYear,
    Province,
    StaffAccount,
    StaffProfile,
    TestSite,
)
from materials.models import MaterialCategory, MaterialImage
from notifications.models import Notification, SmsTemplate
from review.models import Feedback, ReturnReason, ReviewEvent, ReviewNote
from tests.factories.accounts import (
    CandidateFactory,
    ExamCategoryFactory,
    ExamYearFactory,
    ProvinceFactory,
    TestSiteFactory,
    national_admin,
    operator,
    site_reviewer,
)
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.factories.notifications import NotificationFactory
from tests.factories.results import FeedbackFactory, ReviewEventFactory
from tests.factories.review import ReturnReasonFactory

pytestmark = pytest.mark.django_db

REGISTERED = [m for m in apps.get_models() if admin.site.is_registered(m)]
User = apps.get_model("auth", "User")


def _reviewer_of(province):
    return StaffAccount.objects.get(pk=site_reviewer(TestSiteFactory(province=province)).pk)


def _access(model, **fields):
    """django-axes' log-in records: of no province; operators have no Django permission on
    them (only superusers see them)."""
    base = {"user_agent": "probe", "ip_address": "198.51.100.1", "username": "site1"}
    base.update(http_accept="*/*", path_info="/review/login/", **fields)
    return model.objects.create(**base)


# A row of the other province (or a national row) for each model the admin shows.
OTHER_ROWS = {
    AccessAttempt: lambda p: _access(
        AccessAttempt, get_data="", post_data="", failures_since_start=5
    ),
    AccessFailureLog: lambda p: _access(AccessFailureLog),
    AccessLog: lambda p: _access(AccessLog),
    Group: lambda p: Group.objects.create(name="审核组"),
    User: lambda p: User.objects.get(pk=_reviewer_of(p).pk),
    ExamYear: lambda p: ExamYearFactory(),
    Province: lambda p: p,
    TestSite: lambda p: TestSiteFactory(province=p),
    ExamCategory: lambda p: ExamCategoryFactory(),
    Candidate: lambda p: CandidateFactory(province=p),
    StaffProfile: lambda p: _reviewer_of(p).staff_profile,
    StaffAccount: _reviewer_of,
    MaterialCategory: lambda p: MaterialCategoryFactory(province=p),
    MaterialImage: lambda p: MaterialImageFactory(candidate=CandidateFactory(province=p)),
    ReturnReason: lambda p: ReturnReasonFactory(province=p),
    ReviewEvent: lambda p: ReviewEventFactory(candidate=CandidateFactory(province=p)),
    Feedback: lambda p: FeedbackFactory(candidate=CandidateFactory(province=p)),
    ReviewNote: lambda p: ReviewNote.objects.create(
        candidate=CandidateFactory(province=p), text="备注"
    ),
    Notification: lambda p: NotificationFactory(candidate=CandidateFactory(province=p)),
    SmsTemplate: lambda p: SmsTemplate.objects.create(
        province_code=p.code, kind="code", template_code="SMS_1", params="code"
    ),
}


def _label(model) -> str:
    return model._meta.label


def test_every_registered_admin_model_has_a_scope_case():
    missing = [_label(m) for m in REGISTERED if m not in OTHER_ROWS]
    assert missing == [], f"add a row maker to OTHER_ROWS for {missing}"


@pytest.fixture
def provinces():
    return ProvinceFactory(code="37", name="山东"), ProvinceFactory(code="12", name="天津")


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _province_fields(form):
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField) and field.queryset.model in (
            Province,
            TestSite,
        ):
            yield name, field


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_operator_cannot_change_or_delete_another_provinces_row(client, provinces, model):
    own, other = provinces
    user = operator(own)
    row = OTHER_ROWS[model](other)
    model_admin = admin.site.get_model_admin(model)
    request = _request(user)

    assert not model_admin.has_change_permission(request, row)
    assert not model_admin.has_delete_permission(request, row)
    client.force_login(user)
    meta = model._meta
    change = f"/admin/{meta.app_label}/{meta.model_name}/{row.pk}/change/"
    # National tables (exam years, exam categories) open read-only for operators.
    readable = model_admin.has_view_permission(request, row)
    assert client.get(change).status_code in ((200,) if readable else (403, 404))
    assert client.post(change, {}).status_code in (403, 404)
    delete = f"/admin/{meta.app_label}/{meta.model_name}/{row.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code in (403, 404)
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_operator_forms_offer_only_their_province_and_never_none(provinces, model):
    """Every province or site an operator's add and change forms offer is their own, and a
    province field cannot be left empty (that would make a national row)."""
    own, other = provinces
    request = _request(operator(own))
    model_admin = admin.site.get_model_admin(model)
    if not model_admin.has_add_permission(request):
        pytest.skip(f"operators add no {_label(model)}")
    form_class = model_admin.get_form(request, None, change=False)
    for name, field in _province_fields(form_class()):
        offered = list(field.queryset)
        if field.queryset.model is Province:
            assert offered == [own], name
            empty = form_class(data={name: ""})
            empty.is_valid()
            assert name in empty.errors or empty.cleaned_data.get(name) == own, name
        else:
            assert {site.province_id for site in offered} <= {own.pk}, name
        foreign = form_class(data={name: str(OTHER_ROWS[field.queryset.model](other).pk)})
        assert not foreign.is_valid() and name in foreign.errors, name


@pytest.mark.parametrize("model", [ReturnReason, MaterialCategory], ids=_label)
def test_operator_cannot_edit_a_national_row(client, provinces, model):
    national = OTHER_ROWS[model](None)
    request = _request(operator(provinces[0]))
    assert not admin.site.get_model_admin(model).has_change_permission(request, national)


def test_operator_cannot_create_a_national_return_reason(client, provinces):
    """The probe's finding: an operator of 山东 made a reason with no province, which became
    national and was offered to 天津's reviewers."""
    client.force_login(operator(provinces[0]))

    response = client.post(
        "/admin/review/returnreason/add/",
        {"province": "", "text": "照片模糊", "order": 1, "is_active": "on"},
    )

    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert not ReturnReason.objects.filter(text="照片模糊").exists()


def test_operator_creates_a_return_reason_of_their_province(client, provinces):
    client.force_login(operator(provinces[0]))

    response = client.post(
        "/admin/review/returnreason/add/",
        {"province": provinces[0].pk, "text": "照片模糊", "order": 1, "is_active": "on"},
    )

    assert response.status_code == 302
    assert ReturnReason.objects.get(text="照片模糊").province == provinces[0]


def test_national_staff_create_a_national_return_reason(client):
    client.force_login(national_admin())

    response = client.post(
        "/admin/review/returnreason/add/",
        {"province": "", "text": "照片模糊", "order": 1, "is_active": "on"},
    )

    assert response.status_code == 302
    assert ReturnReason.objects.get(text="照片模糊").province is None
