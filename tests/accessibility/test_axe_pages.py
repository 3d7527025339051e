"""axe-core on every page a candidate, a reviewer or an operator meets, at a phone's size
(390×844) and a desktop's (1366×768): no violation of serious or critical impact. The
violations found are printed (rule, what it asks for, the elements) when the test fails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.auth import SESSION_KEY
from accounts.enums import CandidateStatus
from accounts.models import Province
from accounts.services.phone import phone_code_send
from accounts.staff_views import RECOVERY_CODES_KEY
from demo.seed.review import seed_return_reasons
from review.models import ReturnReason
from review.services import (
    candidate_approve,
    candidate_reject,
    candidate_return,
    candidate_site_pass,
    image_approve,
    image_return,
)
from tests import photos
from tests.accessibility.axe import SIZES, blocking, report, violations
from tests.factories.accounts import (
    CandidateFactory,
    operator,
    province_reviewer,
    site_reviewer,
)
from tests.factories.materials import MaterialCategoryFactory, MaterialImageFactory
from tests.factories.review import candidate_with_photos
from tests.staff import StaffClient, authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = CandidateStatus


@dataclass
class Visit:
    url: str
    session: str | None = None  # the session cookie's value
    ready: str = "body"  # a selector that is there once the page is drawn
    # What the person does before the check (opens a dialog, sends a wrong file...).
    act: Callable | None = None
    # False: the page as without JavaScript — our scripts are not loaded (axe itself needs
    # the page's JavaScript engine, so it is not switched off).
    js: bool = True


def _candidate_session(candidate) -> str:
    store = SessionStore()
    store[SESSION_KEY] = candidate.pk
    store.create()
    return store.session_key


def _staff_session(user, *, second_factor: bool = True) -> str:
    client = StaffClient()
    client.force_login(user, second_factor=second_factor)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _categories(candidate):
    """The province's list as the demo has it: a required two-photo ID card with an example,
    a required diploma, an optional category."""
    common = {"province": candidate.province, "exam_year": candidate.exam_year}
    return [
        MaterialCategoryFactory(
            name="身份证明", required=True, min_count=2, max_count=2, order=1, **common
        ),
        MaterialCategoryFactory(
            name="学历证明", required=True, min_count=1, max_count=3, order=2, **common
        ),
        MaterialCategoryFactory(name="其他材料", max_count=5, order=3, **common),
    ]


# --- the pages -------------------------------------------------------------------------


def entry_refused():
    return Visit("/entry/?t=not-a-token")


def entry_needed():
    return Visit("/entry/needed/")


def _fresh(**done):
    candidate = CandidateFactory(activated=False, **done)
    return candidate, _candidate_session(candidate)


def activation_confirm():
    _c, session = _fresh()
    return Visit("/activate/confirm/", session)


def activation_consent():
    _c, session = _fresh(registration_confirmed_at=timezone.now())
    return Visit("/activate/consent/", session)


def activation_phone():
    _c, session = _fresh(registration_confirmed_at=timezone.now(), consent_at=timezone.now())
    return Visit("/activate/phone/", session)


def activation_phone_code_sent():
    candidate, session = _fresh(registration_confirmed_at=timezone.now(), consent_at=timezone.now())
    phone_code_send(candidate=candidate, phone="13812345678")
    return Visit("/activate/phone/", session)


def _phone_refused(page):
    page.locator("#id_phone").fill("1381234")
    page.get_by_role("button", name="获取验证码").click()
    page.locator("#id_phone_error").wait_for()


def activation_phone_refused():
    visit = activation_phone()
    visit.act = _phone_refused
    return visit


def activation_address():
    now = timezone.now()
    _c, session = _fresh(
        registration_confirmed_at=now,
        consent_at=now,
        phone="13812345678",
        phone_verified_at=now,
    )
    return Visit("/activate/address/", session)


def material_draft():
    candidate = CandidateFactory()
    id_card, _diploma, _other = _categories(candidate)
    MaterialImageFactory(candidate=candidate, category=id_card)
    return Visit("/materials/", _candidate_session(candidate), ready="#status-panel")


def _open_viewer(page):
    page.locator("#material-page a.thumb").first.click()
    page.locator("#viewer[open] img.viewer-image").wait_for()
    page.wait_for_function("() => document.querySelector('#viewer img').complete")


def material_draft_photo_viewer():
    visit = material_draft()
    visit.act = _open_viewer
    return visit


def _open_delete(page):
    page.locator("#material-page a.delete").first.click()
    page.locator("#confirm-delete[open]").wait_for()


def material_draft_delete_dialog():
    visit = material_draft()
    visit.act = _open_delete
    return visit


def _upload_refused(page):
    page.locator("#material-page input[type=file]").first.set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}]
    )
    page.locator(
        "#material-page .upload-feedback .errorlist, #material-page .upload-feedback li"
    ).first.wait_for()


def material_draft_upload_refused():
    visit = material_draft()
    visit.act = _upload_refused
    return visit


def material_returned():
    seed_return_reasons()  # a transactional test may have flushed the migration's rows
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=2)
    reviewer = site_reviewer(candidate.site)
    reason = ReturnReason.objects.filter(province=None).first()
    image_return(image=imgs[0], by=reviewer, reason=reason, text="请在光线充足处重拍")
    for image in imgs[1:]:
        image_approve(image=image, by=reviewer)
    candidate_return(candidate=candidate, by=reviewer, message="身份证照片不清晰，请重新上传。")
    return Visit("/materials/", _candidate_session(candidate), ready="#status-panel")


def material_submitted():
    candidate, _cats, _imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=2)
    return Visit("/materials/", _candidate_session(candidate), ready="#status-panel")


def material_approved():
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2)
    site_user = site_reviewer(candidate.site)
    for image in imgs:
        image_approve(image=image, by=site_user)
    candidate_site_pass(candidate=candidate, by=site_user)
    candidate_approve(candidate=candidate, by=province_reviewer(candidate.province))
    return Visit("/materials/", _candidate_session(candidate), ready="#status-panel")


def material_rejected():
    candidate, _cats, _imgs = candidate_with_photos(status=S.SUBMITTED, photos=1)
    candidate_reject(
        candidate=candidate, by=site_reviewer(candidate.site), reason="学历证明与报考类别不符。"
    )
    return Visit("/materials/", _candidate_session(candidate), ready="#status-panel")


def material_window_closed():
    visit = material_draft()
    Province.objects.update(closes_at=timezone.now() - dt.timedelta(hours=1))
    return visit


def material_without_javascript():
    visit = material_draft()
    visit.js = False
    return visit


def material_delete_page_without_javascript():
    candidate = CandidateFactory()
    id_card, _diploma, _other = _categories(candidate)
    image = MaterialImageFactory(candidate=candidate, category=id_card)
    return Visit(f"/materials/photo/{image.pk}/delete/", _candidate_session(candidate), js=False)


def material_example_page():
    candidate = CandidateFactory()
    id_card, _diploma, _other = _categories(candidate)
    id_card.example_image.save("id-card.jpg", ContentFile(photos.make_typical_jpeg()))
    return Visit(f"/materials/example/{id_card.pk}/", _candidate_session(candidate))


def window_closed_before_activation():
    candidate = CandidateFactory(activated=False)
    Province.objects.filter(pk=candidate.province_id).update(
        closes_at=timezone.now() - dt.timedelta(hours=1)
    )
    return Visit("/materials/", _candidate_session(candidate))


def page_not_found():
    return Visit("/no-such-page/")


def help_page():
    candidate = CandidateFactory()
    return Visit("/materials/help/", _candidate_session(candidate))


def profile_page():
    candidate = CandidateFactory()
    return Visit("/profile/", _candidate_session(candidate))


def _address_refused(page):
    page.locator("#id_address").fill("")
    page.get_by_role("button", name="保存联系地址").click()
    page.locator("#id_address_error").wait_for()


def profile_page_address_refused():
    visit = profile_page()
    visit.act = _address_refused
    return visit


def _reviewed_candidate():
    seed_return_reasons()
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=3)
    CandidateFactory(site=candidate.site, status=S.SUBMITTED, submitted_at=timezone.now())
    return candidate, site_reviewer(candidate.site)


def review_queue():
    _candidate, user = _reviewed_candidate()
    return Visit("/review/", _staff_session(user))


def review_candidate():
    candidate, user = _reviewed_candidate()
    return Visit(
        f"/review/c/{candidate.pk}/",
        _staff_session(user),
        ready="#workbench .photo.current",
    )


def _decisions_open_and_refused(page):
    # Every folded decision opened, and a photo returned without a reason (refused beside it).
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    panel = page.locator("section.photo-panel").first
    panel.get_by_role("button", name="退回此图").click()
    panel.locator(".field-error, [data-error]").first.wait_for()


def review_candidate_decisions_open():
    visit = review_candidate()
    visit.act = _decisions_open_and_refused
    return visit


def review_candidate_province_level():
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, photos=2, categories=2)
    site_user = site_reviewer(candidate.site)
    for image in imgs:
        image_approve(image=image, by=site_user)
    candidate_site_pass(candidate=candidate, by=site_user)
    return Visit(
        f"/review/c/{candidate.pk}/",
        _staff_session(province_reviewer(candidate.province)),
        ready="#workbench .photo.current",
        act=lambda page: page.evaluate(
            "() => document.querySelectorAll('details').forEach(d => d.open = true)"
        ),
    )


def review_exports():
    _candidate, user = _reviewed_candidate()
    return Visit("/api/v1/exports/", _staff_session(user))


def review_dashboard():
    _candidate, user = _reviewed_candidate()
    return Visit("/review/dashboard/", _staff_session(user))


def review_login():
    return Visit("/review/login/")


def staff_second_factor():
    _candidate, user = _reviewed_candidate()
    authenticator(user)
    return Visit("/staff/2fa/?next=/review/", _staff_session(user, second_factor=False))


def staff_second_factor_enrolment():
    _candidate, user = _reviewed_candidate()  # no authenticator yet: the QR code page
    return Visit("/staff/2fa/setup/?next=/review/", _staff_session(user, second_factor=False))


def staff_recovery_codes():
    _candidate, user = _reviewed_candidate()
    client = StaffClient()
    client.force_login(user)
    session = client.session
    session[RECOVERY_CODES_KEY] = [f"code-{n:04d}-abcd" for n in range(10)]
    session.save()
    return Visit("/staff/2fa/recovery-codes/?next=/review/", session.session_key)


def admin_login():
    return Visit("/admin/login/?next=/admin/")


def _operator():
    candidate, _cats, _imgs = candidate_with_photos(status=S.SUBMITTED, photos=1)
    return candidate, operator(candidate.province)


def admin_index():
    _candidate, user = _operator()
    return Visit("/admin/", _staff_session(user))


def admin_changelist():
    _candidate, user = _operator()
    return Visit("/admin/accounts/candidate/", _staff_session(user))


def admin_change_form():
    candidate, user = _operator()
    return Visit(f"/admin/accounts/candidate/{candidate.pk}/change/", _staff_session(user))


PAGES = {
    f.__name__: f
    for f in (
        entry_refused,
        entry_needed,
        activation_confirm,
        activation_consent,
        activation_phone,
        activation_phone_code_sent,
        activation_phone_refused,
        activation_address,
        material_draft,
        material_draft_photo_viewer,
        material_draft_delete_dialog,
        material_draft_upload_refused,
        material_returned,
        material_submitted,
        material_approved,
        material_rejected,
        material_window_closed,
        material_without_javascript,
        material_delete_page_without_javascript,
        material_example_page,
        window_closed_before_activation,
        page_not_found,
        help_page,
        profile_page,
        profile_page_address_refused,
        review_login,
        staff_second_factor,
        staff_second_factor_enrolment,
        staff_recovery_codes,
        review_queue,
        review_candidate,
        review_candidate_decisions_open,
        review_candidate_province_level,
        review_exports,
        review_dashboard,
        admin_login,
        admin_index,
        admin_changelist,
        admin_change_form,
    )
}


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_axe_violation_at_phone_and_desktop_sizes(
    name, _playwright_browser, live_server
):
    visit = PAGES[name]()
    failures = []
    for size_name, size in SIZES.items():
        context = _playwright_browser.new_context(
            viewport=size, locale="zh-CN", base_url=live_server.url
        )
        context.set_default_timeout(15_000)
        if visit.session:
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": visit.session,
                        "url": live_server.url,
                    }
                ]
            )
        if not visit.js:
            context.route("**/static/**/*.js", lambda route: route.abort())
        page = context.new_page()
        response = page.goto(visit.url)
        assert response.status < 500, (name, response.status)
        page.locator(visit.ready).first.wait_for(state="attached")
        page.wait_for_load_state("load")
        if visit.act:
            visit.act(page)
        found = violations(page)
        print(f"\n{name} at {size_name} ({page.url}): {len(found)} violations")
        if found:
            print(report(found))
        if serious := blocking(found):
            failures.append(f"{name} at {size_name} ({page.url}):\n{report(serious)}")
        context.close()
    assert not failures, "\n".join(failures)
