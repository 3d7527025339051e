"""The reviewer workbench: log-in, who is refused where, the queue, the candidate page, the
decision endpoints, claims, «save and next», the dashboard, query counts."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.auth import SESSION_KEY
from accounts.enums import CandidateStatus, ReviewLevel
from materials.enums import ImageStatus
from materials.services import image_delete
from notifications.models import Notification
from review import selectors
from review.models import Feedback, ReturnReason, ReviewClaim, ReviewNote
from tests.factories.accounts import PASSWORD, CandidateFactory, StaffUserFactory, site_reviewer
from tests.factories.review import candidate_with_photos, claim

pytestmark = pytest.mark.django_db

S = CandidateStatus


def _login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def case(org):
    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=2)
    return candidate, cats, imgs


# --- log-in --------------------------------------------------------------------------------


def test_login_reviewer_goes_to_queue(client, org):
    user = org.staff["site"]
    response = client.post(
        reverse("review:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("review:queue")


def test_login_refuses_user_without_reviewer_profile(client, org):
    plain = StaffUserFactory()
    response = client.post(
        reverse("review:login"), {"username": plain.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "该账号不是审核人员账号" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_redirected_to_login(client, case):
    response = client.get(reverse("review:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("review:login"))


def test_logout(client, org):
    _login(client, org.staff["site"])
    response = client.post(reverse("review:logout"))
    assert response.status_code == 302
    assert client.get(reverse("review:queue")).status_code == 302


# --- who is refused ------------------------------------------------------------------------


def _urls(candidate, image):
    kw = {"pk": candidate.pk}
    photo = {"pk": candidate.pk, "image_pk": image.pk}
    return [
        ("get", reverse("review:queue"), {}),
        ("get", reverse("review:dashboard"), {}),
        ("get", reverse("review:candidate", kwargs=kw), {}),
        ("post", reverse("review:next", kwargs=kw), {}),
        ("post", reverse("review:decide", kwargs=kw), {"action": "site_pass"}),
        ("post", reverse("review:decide", kwargs=kw), {"action": "reject", "message": "x"}),
        ("post", reverse("review:decide", kwargs=kw), {}),
        (
            "post",
            reverse("review:decide", kwargs=kw),
            {"action": "return", "item_category": image.category_id, "message": "x"},
        ),
        ("post", reverse("review:approve_remaining", kwargs=kw), {}),
        ("post", reverse("review:note", kwargs=kw), {"text": "x"}),
        ("post", reverse("review:release", kwargs=kw), {}),
        ("post", reverse("review:image_approve", kwargs=photo), {}),
        ("post", reverse("review:image_return", kwargs=photo), {"text": "x"}),
    ]


@pytest.mark.parametrize("intruder", ["other_site", "far_site", "other_province"])
def test_other_scope_gets_404_for_candidate_urls(client, org, case, intruder):
    candidate, cats, imgs = case
    _login(client, org.staff[intruder])
    for method, url, data in _urls(candidate, imgs[0]):
        response = getattr(client, method)(url, data)
        if url in (reverse("review:queue"), reverse("review:dashboard")):
            assert response.status_code == 200
            assert candidate.reg_no not in response.content.decode()
        else:
            assert response.status_code == 404, (method, url)
    candidate.refresh_from_db()
    imgs[0].refresh_from_db()
    assert candidate.status == S.SUBMITTED
    assert imgs[0].status == ImageStatus.PENDING
    assert not ReviewNote.objects.exists()


def test_candidate_session_gets_403_everywhere(client, case):
    candidate, cats, imgs = case
    session = client.session
    session[SESSION_KEY] = candidate.pk
    session.save()
    for method, url, data in [*_urls(candidate, imgs[0]), ("get", reverse("review:queue"), {})]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)


def test_user_without_profile_gets_403(client, case):
    candidate, cats, imgs = case
    _login(client, StaffUserFactory())
    for method, url, data in _urls(candidate, imgs[0]):
        assert getattr(client, method)(url, data).status_code == 403, (method, url)


def test_image_of_another_candidate_404(client, org, case):
    candidate, cats, imgs = case
    other, _c, other_imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site)
    _login(client, org.staff["site"])
    url = reverse("review:image_approve", kwargs={"pk": candidate.pk, "image_pk": other_imgs[0].pk})
    assert client.post(url).status_code == 404


def test_decisions_on_a_candidate_or_photo_that_does_not_exist_404(client, org, case):
    candidate, cats, imgs = case
    _login(client, org.staff["site"])
    missing = {"pk": candidate.pk + 1000}
    for url, data in (
        (reverse("review:decide", kwargs=missing), {"action": "site_pass"}),
        (reverse("review:decide", kwargs=missing), {}),
        (reverse("review:image_approve", kwargs={**missing, "image_pk": imgs[0].pk}), {}),
        (
            reverse("review:image_approve", kwargs={"pk": candidate.pk, "image_pk": 10**9}),
            {},
        ),
    ):
        assert client.post(url, data).status_code == 404, url
    imgs[0].refresh_from_db()
    assert imgs[0].status == ImageStatus.PENDING


# --- the queue -----------------------------------------------------------------------------


def test_queue_default_for_site_reviewer_is_submitted_of_their_site(client, org):
    mine, _c, _i = candidate_with_photos(status=S.SUBMITTED, site=org.site)
    passed, _c, _i = candidate_with_photos(status=S.SITE_PASSED, site=org.site)
    elsewhere, _c, _i = candidate_with_photos(status=S.SUBMITTED, site=org.other_site)
    _login(client, org.staff["site"])
    body = client.get(reverse("review:queue")).content.decode()
    assert mine.reg_no in body
    assert passed.reg_no not in body
    assert elsewhere.reg_no not in body


def test_queue_default_for_province_reviewer_is_site_passed(client, org):
    submitted, _c, _i = candidate_with_photos(status=S.SUBMITTED, site=org.site)
    passed, _c, _i = candidate_with_photos(status=S.SITE_PASSED, site=org.other_site)
    far, _c, _i = candidate_with_photos(status=S.SITE_PASSED, site=org.far_site)
    _login(client, org.staff["province"])
    body = client.get(reverse("review:queue")).content.decode()
    assert passed.reg_no in body
    assert submitted.reg_no not in body
    assert far.reg_no not in body


def test_queue_nav_links_to_the_exports_the_reviewer_may_open(client, org):
    _login(client, org.staff["site"])
    body = client.get(reverse("review:queue")).content.decode()
    assert f'href="{reverse("api:exports")}">导出结果</a>' in body
    assert client.get(reverse("api:exports")).status_code == 200


def test_queue_filter_form_shows_the_chosen_filters(client, org):
    _login(client, org.staff["province"])
    body = client.get(
        reverse("review:queue"),
        {"status": "returned", "site": org.other_site.pk, "overdue": "on", "q": "张<三"},
    ).content.decode()
    assert '<option value="returned" selected>' in body
    assert f'<option value="{org.other_site.pk}" selected>{org.other_site}</option>' in body
    assert f'<option value="{org.site.pk}">{org.site}</option>' in body
    assert 'id="id_overdue" checked' in body
    assert 'id="id_resubmitted">' in body
    assert 'value="张&lt;三"' in body
    # Unfiltered: the default status is chosen; a site reviewer has no site filter.
    _login(client, org.staff["site"])
    body = client.get(reverse("review:queue")).content.decode()
    assert '<option value="submitted" selected>' in body
    assert 'name="site"' not in body


def test_queue_row_notes_resubmitted_overdue_deadline_and_claim(client, org):
    holder = org.staff["other_site"]
    holder.first_name, holder.last_name = "审核", "李"
    holder.save()
    now = timezone.now()
    resubmitted = CandidateFactory(
        site=org.site, status=S.SUBMITTED, returned_by=ReviewLevel.SITE, submitted_at=now
    )
    late = CandidateFactory(
        site=org.site,
        status=S.RETURNED,
        returned_by=ReviewLevel.SITE,
        reply_deadline=now - dt.timedelta(hours=1),
        submitted_at=now,
    )
    waiting = CandidateFactory(
        site=org.site,
        status=S.RETURNED,
        returned_by=ReviewLevel.SITE,
        reply_deadline=now + dt.timedelta(hours=3),
        submitted_at=now,
    )
    claim(resubmitted, holder)
    _login(client, org.staff["province"])
    body = client.get(reverse("review:queue"), {"status": "all"}).content.decode()
    deadline = timezone.localtime(waiting.reply_deadline).strftime("%m-%d %H:%M")
    assert (
        '<span class="tag">退回后重新提交</span> <span class="tag claimed">审核 李 正在审核</span>'
        in body
    )
    assert '<span class="tag overdue">已过修改截止时间</span>' in body
    assert f'<td class="small">修改截止 {deadline}</td>' in body
    assert late.reg_no in body


def test_queue_filters_and_search(client, org):
    reviewer = org.staff["province"]
    a = CandidateFactory(
        site=org.site, status=S.SUBMITTED, name="张三", submitted_at=timezone.now()
    )
    b = CandidateFactory(
        site=org.other_site, status=S.SUBMITTED, name="李四", submitted_at=timezone.now()
    )
    resub = CandidateFactory(
        site=org.site,
        status=S.SUBMITTED,
        returned_by=ReviewLevel.SITE,
        submitted_at=timezone.now(),
    )
    late = CandidateFactory(
        site=org.site,
        status=S.RETURNED,
        returned_by=ReviewLevel.SITE,
        reply_deadline=timezone.now() - dt.timedelta(hours=1),
        submitted_at=timezone.now(),
    )
    waiting = CandidateFactory(
        site=org.site,
        status=S.RETURNED,
        returned_by=ReviewLevel.SITE,
        reply_deadline=timezone.now() + dt.timedelta(hours=1),
        submitted_at=timezone.now(),
    )
    _login(client, reviewer)

    def regs(params):
        rows, _cursor = selectors.queue_page(reviewer.staff_profile, params)
        return {r.reg_no for r in rows}

    def page(**params):
        return client.get(reverse("review:queue"), params).content.decode()

    body = page(status="submitted", site=org.other_site.pk)
    assert b.reg_no in body and a.reg_no not in body
    body = page(status="all", q="张三")
    assert a.reg_no in body and b.reg_no not in body
    body = page(status="all", q=b.reg_no)
    assert b.reg_no in body and a.reg_no not in body
    body = page(status="all", resubmitted="on")
    assert resub.reg_no in body and a.reg_no not in body and late.reg_no not in body
    body = page(status="all", overdue="on")
    assert late.reg_no in body and waiting.reg_no not in body and a.reg_no not in body
    assert regs(selectors.QueueFilter(status="submitted", category_id=a.category_id)) == {
        a.reg_no,
        b.reg_no,
        resub.reg_no,
    }


def test_queue_keyset_pagination_oldest_first(client, org, monkeypatch):
    base = timezone.now() - dt.timedelta(days=1)
    made = [
        CandidateFactory(
            site=org.site, status=S.SUBMITTED, submitted_at=base + dt.timedelta(minutes=i % 3)
        )
        for i in range(7)
    ]
    expected = [c.reg_no for c in sorted(made, key=lambda c: (c.submitted_at, c.pk))]
    profile = org.staff["site"].staff_profile
    flt = selectors.QueueFilter(status=S.SUBMITTED)
    seen, cursor = [], None
    while True:
        rows, cursor = selectors.queue_page(profile, flt, cursor=cursor, size=3)
        seen += [r.reg_no for r in rows]
        if cursor is None:
            break
        cursor = selectors.Cursor.decode(cursor.encode())
    assert seen == expected
    # Through the page: the «下一页» link carries the cursor.
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 3)
    _login(client, org.staff["site"])
    first = client.get(reverse("review:queue"))
    assert [r.reg_no for r in first.context["rows"]] == expected[:3]
    assert "下一页" in first.content.decode()
    second = client.get(reverse("review:queue"), {"cursor": first.context["next_cursor"]})
    assert [r.reg_no for r in second.context["rows"]] == expected[3:6]
    assert "回到第一页" in second.content.decode()


def _queue_queries(client, org, n):
    for _ in range(n):
        c, _c, _i = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=1)
        claim(c, org.staff["other_site"])
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("review:queue"), {"status": "submitted", "site": ""})
    assert response.status_code == 200
    return len(ctx), response


def test_queue_query_count_constant(client, org, django_assert_num_queries):
    _login(client, org.staff["province"])
    one, response = _queue_queries(client, org, 1)
    assert len(response.context["rows"]) == 1
    many, response = _queue_queries(client, org, 30)
    assert len(response.context["rows"]) == 31
    assert one == many
    cache.clear()
    with django_assert_num_queries(one):
        client.get(reverse("review:queue"), {"status": "submitted", "site": ""})


# --- the candidate page --------------------------------------------------------------------


def test_candidate_page_shows_summary_masked_photos_and_reasons(client, org, case):
    candidate, cats, imgs = case
    _login(client, org.staff["site"])
    response = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk}))
    body = response.content.decode()
    assert response.status_code == 200
    assert candidate.masked_id_no in body
    assert candidate.id_no not in body
    assert reverse("materials:image", kwargs={"pk": imgs[0].pk, "variant": "display"}) in body
    assert "图片不清晰" in body
    assert "快捷键" in body
    assert "style=" not in body and "onclick" not in body


def _candidate_queries(client, candidate):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk}))
    assert response.status_code == 200
    return len(ctx)


def test_candidate_page_query_count_constant(client, org, django_assert_num_queries):
    from review import services
    from tests.factories.materials import MaterialImageFactory

    reviewer = org.staff["site"]
    _login(client, reviewer)
    small, cats, imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=1)
    services.image_approve(image=imgs[0], by=reviewer)
    services.note_create(candidate=small, by=reviewer, text="备注")
    big, cats, imgs = candidate_with_photos(
        status=S.SUBMITTED, site=org.site, photos=4, categories=4
    )
    for img in imgs[:6]:
        services.image_approve(image=img, by=reviewer)
    for img in imgs[6:9]:
        services.image_return(image=img, by=reviewer, reason=ReturnReason.objects.first(), text="x")
    for img in imgs[9:12]:
        img.removed_at = timezone.now()
        img.status = ImageStatus.RETURNED
        img.save()
        MaterialImageFactory(candidate=big, category=img.category, replaces=img)
    for i in range(5):
        services.note_create(candidate=big, by=reviewer, text=f"备注{i}")
    Feedback.objects.create(candidate=big, level="site", action="site_return", author=reviewer)
    Notification.objects.create(candidate=big, recipient="139", text="x", purpose="return")
    Notification.objects.create(candidate=big, recipient="139", text="y", purpose="return")
    Feedback.objects.create(candidate=small, level="site", action="site_return", author=reviewer)
    Notification.objects.create(candidate=small, recipient="139", text="x", purpose="return")
    _candidate_queries(client, small)  # the province's categories are cached from here on
    one = _candidate_queries(client, small)
    with django_assert_num_queries(one):
        client.get(reverse("review:candidate", kwargs={"pk": big.pk}))


def test_answer_to_the_page_script_has_its_parts_not_the_cards_and_constant_queries(
    client, org, django_assert_num_queries
):
    """⇧A posted by the page's script: the answer carries what the script takes from it
    (the photos' frames and heads, their panels, the decisions), not the viewers, the
    summary, nor the cards below the workbench (feedback, notes, SMS, history) and their
    queries; as many queries for 1 photo as for 16."""
    from review import services

    reviewer = org.staff["site"]
    _login(client, reviewer)
    warm, _c, _i = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=1)
    small, _c, _i = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=1)
    big, _c, imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=4, categories=4)
    for i in range(5):
        services.note_create(candidate=big, by=reviewer, text=f"备注{i}")
    Notification.objects.create(candidate=big, recipient="139", text="x", purpose="return")

    def approve_all(candidate):
        return client.post(
            reverse("review:approve_remaining", kwargs={"pk": candidate.pk}),
            {"expected_status": "submitted"},
            headers={"X-Requested-With": "fetch"},
        )

    approve_all(warm)  # the province's categories are cached from here on
    with CaptureQueriesContext(connection) as ctx:
        response = approve_all(small)
    assert response.status_code == 200
    with django_assert_num_queries(len(ctx)):
        response = approve_all(big)
    body = response.content.decode()
    assert all(f'id="panel-{img.pk}"' in body for img in imgs) and len(imgs) == 16
    assert 'id="decision-area"' in body and 'data-key="p"' in body
    assert 'id="notes"' not in body and 'id="history-h"' not in body and "备注0" not in body
    # Nor the viewers (the page keeps its own, zoomed, turned and loaded), the summary and
    # the list of keys, which no answer changes.
    assert all(f'id="photo-{img.pk}"' in body for img in imgs)
    assert "data-viewer" not in body and 'id="summary-h"' not in body and 'id="keys-h"' not in body
    # The page itself has them.
    body = client.get(reverse("review:candidate", kwargs={"pk": big.pk})).content.decode()
    assert 'id="notes"' in body and 'id="history-h"' in body and "备注0" in body
    assert "data-viewer" in body and 'id="summary-h"' in body and 'id="keys-h"' in body


def test_candidate_page_shows_replaced_version_beside_replacement(client, org):
    from tests.factories.materials import MaterialImageFactory

    candidate, cats, imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=1)
    old = imgs[0]
    old.status = ImageStatus.RETURNED
    old.return_reason = "图片不清晰"
    old.removed_at = timezone.now()
    old.save()
    new = MaterialImageFactory(candidate=candidate, category=cats[0], replaces=old)
    _login(client, org.staff["site"])
    response = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk}))
    body = response.content.decode()
    assert "替换前的旧版本" in body
    old_url = reverse("materials:image", kwargs={"pk": old.pk, "variant": "display"})
    new_url = reverse("materials:image", kwargs={"pk": new.pk, "variant": "display"})
    assert body.index(new_url) < body.index(old_url)


def test_claim_held_by_other_shown_and_decisions_refused(client, org, case):
    candidate, cats, imgs = case
    other = site_reviewer(org.site, first_name="王审核")
    claim(candidate, other)
    _login(client, org.staff["site"])
    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    assert "该考生正由审核员 王审核 审核" in body
    assert reverse("review:decide", kwargs={"pk": candidate.pk}) not in body
    response = client.post(
        reverse("review:image_approve", kwargs={"pk": candidate.pk, "image_pk": imgs[0].pk}),
        {"expected_status": "submitted"},
        follow=True,
    )
    assert "该考生正由审核员 王审核 审核" in response.content.decode()
    imgs[0].refresh_from_db()
    assert imgs[0].status == ImageStatus.PENDING


def test_full_site_flow_through_endpoints(client, org, case):
    candidate, cats, imgs = case
    reviewer = org.staff["site"]
    _login(client, reviewer)
    reason = ReturnReason.objects.get(text="图片不完整或被裁切")
    client.get(reverse("review:candidate", kwargs={"pk": candidate.pk}))
    client.post(
        reverse("review:image_return", kwargs={"pk": candidate.pk, "image_pk": imgs[0].pk}),
        {"reason": reason.pk, "text": "四角需完整", "expected_status": "submitted"},
    )
    client.post(
        reverse("review:image_approve", kwargs={"pk": candidate.pk, "image_pk": imgs[1].pk}),
        {"expected_status": "submitted"},
    )
    assert Notification.objects.count() == 0
    response = client.post(
        reverse("review:decide", kwargs={"pk": candidate.pk}),
        {"action": "return", "message": "请重新拍摄", "expected_status": "submitted"},
        follow=True,
    )
    assert "已退回考生" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == S.RETURNED
    assert Notification.objects.count() == 1
    feedback = Feedback.objects.get(candidate=candidate)
    assert feedback.items[0]["reason"] == "图片不完整或被裁切：四角需完整"


def test_decision_refused_shows_message(client, org, case):
    candidate, cats, imgs = case
    _login(client, org.staff["site"])
    response = client.post(
        reverse("review:decide", kwargs={"pk": candidate.pk}),
        {"action": "site_pass", "expected_status": "submitted"},
        follow=True,
    )
    assert "以下材料尚未全部审核通过" in response.content.decode()


def test_stale_page_decision_tells_other_reviewer_won(client, org, case):
    candidate, cats, imgs = case
    from review import services

    services.images_approve_remaining(candidate=candidate, by=org.staff["site"])
    services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    second = site_reviewer(org.site)
    _login(client, second)
    response = client.post(
        reverse("review:decide", kwargs={"pk": candidate.pk}),
        {"action": "reject", "message": "不符合", "expected_status": "submitted"},
        follow=True,
    )
    assert "该考生已被其他审核员处理（当前状态：考点通过），请刷新后查看。" in (
        response.content.decode()
    )


def test_approve_remaining_and_save_and_next(client, org):
    reviewer = org.staff["site"]
    first, cats, _i = candidate_with_photos(status=S.SUBMITTED, site=org.site)
    second, _c, _i = candidate_with_photos(status=S.SUBMITTED, site=org.site, categories=cats)
    second.submitted_at = first.submitted_at + dt.timedelta(seconds=1)
    second.save()
    _login(client, reviewer)
    client.post(
        reverse("review:approve_remaining", kwargs={"pk": first.pk}),
        {"expected_status": "submitted"},
    )
    response = client.post(
        reverse("review:decide", kwargs={"pk": first.pk}),
        {"action": "site_pass", "expected_status": "submitted", "next": "1", "queue": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("review:candidate", kwargs={"pk": second.pk})
    first.refresh_from_db()
    assert first.status == S.SITE_PASSED


def test_next_at_end_of_queue_goes_back_to_queue(client, org, case):
    candidate, cats, imgs = case
    _login(client, org.staff["site"])
    response = client.post(reverse("review:next", kwargs={"pk": candidate.pk}))
    assert response["Location"] == reverse("review:queue")


def _queue_of_three(org):
    cands, cats = [], 1
    for n in range(3):
        c, cats, _i = candidate_with_photos(
            status=S.SUBMITTED, site=org.site, photos=1, categories=cats
        )
        c.submitted_at = timezone.now() - dt.timedelta(minutes=10 - n)
        c.save(update_fields=["submitted_at"])
        cands.append(c)
    return cands


def test_showing_a_candidate_page_claims_nothing(client, org, case):
    candidate, cats, imgs = case
    _login(client, org.staff["site"])
    response = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk}))
    assert response.status_code == 200
    assert "考点通过" in response.content.decode()  # the reviewer may act on it
    assert not ReviewClaim.objects.exists()


def test_next_by_get_is_refused_and_claims_nothing(client, org):
    first, second, _third = _queue_of_three(org)
    _login(client, org.staff["site"])
    response = client.get(reverse("review:next", kwargs={"pk": first.pk}))
    assert response.status_code == 405
    assert not ReviewClaim.objects.exists()


def test_next_by_post_claims_exactly_the_next_candidate(client, org):
    first, second, third = _queue_of_three(org)
    reviewer = org.staff["site"]
    _login(client, reviewer)
    client.post(reverse("review:approve_remaining", kwargs={"pk": first.pk}))  # claims first
    response = client.post(reverse("review:next", kwargs={"pk": first.pk}), {"queue": ""})
    assert response["Location"] == reverse("review:candidate", kwargs={"pk": second.pk})
    # The candidate left behind is free for others; the next one is this reviewer's.
    assert list(ReviewClaim.objects.values_list("candidate_id", "reviewer_id")) == [
        (second.pk, reviewer.pk)
    ]


def test_next_skips_a_candidate_another_reviewer_holds(client, org):
    first, second, third = _queue_of_three(org)
    other = site_reviewer(org.site)
    claim(second, other)
    reviewer = org.staff["site"]
    _login(client, reviewer)
    response = client.post(reverse("review:next", kwargs={"pk": first.pk}))
    assert response["Location"] == reverse("review:candidate", kwargs={"pk": third.pk})
    held = dict(ReviewClaim.objects.values_list("candidate_id", "reviewer_id"))
    assert held == {second.pk: other.pk, third.pk: reviewer.pk}


def test_two_reviewers_going_next_at_once_get_different_candidates(org):
    """One after the other here (SQLite); tests/review/test_concurrency.py races them."""
    from review import selectors, services

    first, second, third = _queue_of_three(org)
    a, b = org.staff["site"], site_reviewer(org.site)
    flt = selectors.QueueFilter()
    got_a = services.claim_next(by=a, flt=flt, after=first)
    got_b = services.claim_next(by=b, flt=flt, after=first)
    assert {got_a.pk, got_b.pk} == {second.pk, third.pk}
    # Nothing left for a third reviewer that the other two do not hold.
    assert services.claim_next(by=site_reviewer(org.site), flt=flt, after=third) == first


def test_pass_and_next_claims_the_next_candidate_in_the_same_post(client, org):
    first, second, _third = _queue_of_three(org)
    reviewer = org.staff["site"]
    _login(client, reviewer)
    client.post(reverse("review:approve_remaining", kwargs={"pk": first.pk}))
    response = client.post(
        reverse("review:decide", kwargs={"pk": first.pk}),
        {"action": "site_pass", "expected_status": "submitted", "next": "1"},
    )
    assert response["Location"] == reverse("review:candidate", kwargs={"pk": second.pk})
    assert list(ReviewClaim.objects.values_list("candidate_id", "reviewer_id")) == [
        (second.pk, reviewer.pk)
    ]
    # Showing it neither claims again nor changes the claim.
    before = ReviewClaim.objects.get()
    client.get(response["Location"])
    assert ReviewClaim.objects.get().expires_at == before.expires_at


def test_note_is_internal(client, org, case):
    candidate, cats, imgs = case
    _login(client, org.staff["site"])
    client.post(reverse("review:note", kwargs={"pk": candidate.pk}), {"text": "已电话核实"})
    assert ReviewNote.objects.get().text == "已电话核实"
    assert not Feedback.objects.exists()


def test_release_claim(client, org, case):
    candidate, cats, imgs = case
    _login(client, org.staff["site"])
    client.post(
        reverse("review:image_approve", kwargs={"pk": candidate.pk, "image_pk": imgs[0].pk})
    )
    assert ReviewClaim.objects.filter(candidate=candidate).exists()
    client.post(reverse("review:release", kwargs={"pk": candidate.pk}))
    assert not ReviewClaim.objects.filter(candidate=candidate).exists()


# --- dashboard -----------------------------------------------------------------------------


def test_dashboard_counts_and_query_count(client, org, django_assert_num_queries):
    from review import services

    reviewer = org.staff["province"]
    _login(client, reviewer)
    c, _c, _i = candidate_with_photos(
        status=S.SITE_PASSED, site=org.site, image_status=ImageStatus.APPROVED
    )
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("review:dashboard"))
    one = len(ctx)
    services.candidate_approve(candidate=c, by=reviewer)
    for site in (org.site, org.other_site):
        for status in (S.SUBMITTED, S.SITE_PASSED, S.RETURNED):
            candidate_with_photos(status=status, site=site)
    with django_assert_num_queries(one):
        response = client.get(reverse("review:dashboard"))
    totals = response.context["totals"]
    assert totals["submitted"] == 2
    assert totals["approved"] == 1
    assert response.context["days"][0]["total"] == 1
    assert response.context["oldest_submitted"] is not None
    assert org.far_site.name not in response.content.decode()


def test_queue_keyset_all_statuses_with_unsubmitted_last(org):
    base = timezone.now() - dt.timedelta(days=1)
    submitted = [
        CandidateFactory(site=org.site, status=S.SUBMITTED, submitted_at=base + dt.timedelta(i))
        for i in range(3)
    ]
    drafts = [CandidateFactory(site=org.site) for _ in range(3)]
    profile = org.staff["site"].staff_profile
    flt = selectors.QueueFilter(status="")
    seen, cursor = [], None
    while True:
        rows, cursor = selectors.queue_page(profile, flt, cursor=cursor, size=2)
        seen += [r.pk for r in rows]
        if cursor is None:
            break
    assert seen == [c.pk for c in submitted] + [c.pk for c in drafts]


def test_candidate_page_hides_verification_codes_and_labels_history(client, org, case):
    candidate, cats, imgs = case
    Notification.objects.create(
        candidate=candidate, recipient="13900000000", text="验证码 482913", purpose="code"
    )
    from review import services

    services.images_approve_remaining(candidate=candidate, by=org.staff["site"])
    services.candidate_site_pass(candidate=candidate, by=org.staff["site"])
    _login(client, org.staff["province"])
    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    assert "482913" not in body
    assert "验证码短信，内容不显示" in body
    assert "已提交 → 考点通过" in body


def test_login_returns_to_the_page_asked_for(client, org, case):
    candidate, cats, imgs = case
    url = reverse("review:candidate", kwargs={"pk": candidate.pk})
    response = client.get(url)
    login_url = response["Location"]
    assert login_url.startswith(reverse("review:login"))
    page = client.get(login_url)
    assert f'value="{url}"' in page.content.decode()
    response = client.post(
        reverse("review:login"),
        {"username": org.staff["site"].username, "password": PASSWORD, "next": url},
    )
    assert response["Location"] == url


def test_returned_candidate_can_be_rejected_by_returning_level_only(client, org):
    candidate, cats, imgs = candidate_with_photos(status=S.RETURNED, site=org.site)
    candidate.returned_by = ReviewLevel.SITE
    candidate.reply_deadline = timezone.now() - dt.timedelta(hours=1)
    candidate.save()
    _login(client, org.staff["province"])
    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    assert reverse("review:decide", kwargs={"pk": candidate.pk}) not in body
    assert "不在您的审核环节" in body
    _login(client, org.staff["site"])
    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    assert "拒绝原因" in body
    response = client.post(
        reverse("review:decide", kwargs={"pk": candidate.pk}),
        {"action": "reject", "message": "逾期未修改", "expected_status": "returned"},
        follow=True,
    )
    assert "已审核拒绝" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == S.REJECTED
    assert Notification.objects.filter(candidate=candidate, purpose="result").count() == 1


def test_queue_filters_carried_and_cleaned_on_post(client, org, case):
    candidate, cats, imgs = case
    _login(client, org.staff["site"])
    response = client.post(
        reverse("review:note", kwargs={"pk": candidate.pk}),
        {"text": "x", "queue": "status=submitted&evil=%0d%0aSet-Cookie:x&q=张"},
    )
    assert response["Location"] == (
        reverse("review:candidate", kwargs={"pk": candidate.pk})
        + "?status=submitted&q=%E5%BC%A0#notes"
    )


@pytest.mark.parametrize(("phone", "told"), [("13912345678", True), ("", False)])
def test_decision_message_mentions_the_sms_only_when_one_was_queued(client, org, phone, told):
    from materials.enums import ImageStatus
    from notifications.models import Notification

    candidate, _cats, _imgs = candidate_with_photos(
        status=S.SUBMITTED, site=org.site, image_status=ImageStatus.RETURNED, phone=phone
    )
    _login(client, org.staff["site"])
    response = client.post(
        reverse("review:decide", kwargs={"pk": candidate.pk}),
        {"action": "return", "expected_status": S.SUBMITTED},
        follow=True,
    )
    body = response.content.decode()
    assert "已退回考生" in body
    assert ("并已发送短信通知" in body) is told
    assert Notification.objects.filter(candidate=candidate).exists() is told


def test_candidate_history_names_the_category_of_a_deleted_photo(client, org):
    candidate, cats, imgs = candidate_with_photos(status=S.DRAFT, site=org.site, photos=2)
    image_delete(candidate=candidate, image=imgs[0])
    candidate.status = S.SUBMITTED
    candidate.submitted_at = timezone.now()
    candidate.save(update_fields=["status", "submitted_at"])
    _login(client, org.staff["site"])
    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    assert f"删除图片 · {cats[0].name}" in body
