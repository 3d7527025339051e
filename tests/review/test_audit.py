"""The audit trail nobody can rewrite: staff views of candidates and photos leave a row; rows
are never changed, deleted, or deleted with a candidate; they are hash-chained and
`audit_verify` finds the first broken link; they keep the actor's name as it was; an
operator exports one candidate's trail for an inspector."""

import importlib
import io
import threading

import pgtrigger
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.auth import SESSION_KEY
from accounts.enums import CandidateStatus
from review import chain, services
from review.enums import EventAction
from review.models import AuditChainHead, AuditRowImmutable, ReviewEvent
from review.services._base import lock_candidate
from tests.concurrency import run_at_once, skip_unless_postgres
from tests.factories.accounts import operator
from tests.factories.review import candidate_with_photos

pytestmark = pytest.mark.django_db

S = CandidateStatus
TRIGGER = "review.ReviewEvent:reviewevent_append_only"


@pytest.fixture
def case(org):
    candidate, _cats, imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=2)
    return candidate, imgs


def views_of(candidate):
    return list(
        ReviewEvent.objects.filter(
            candidate=candidate,
            action__in=[EventAction.CANDIDATE_VIEW, EventAction.IMAGE_VIEW],
        ).order_by("id")
    )


def verify() -> str:
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def raw_sql(sql: str, params) -> None:
    """Past the ORM (which refuses too), with the trigger ignored where there is one: what
    someone with the database's password could do."""
    with pgtrigger.ignore(TRIGGER), connection.cursor() as cursor:
        cursor.execute(sql.format(table=ReviewEvent._meta.db_table), params)


def database_error(sql: str, params) -> str:
    """The database's refusal of `sql` (in a savepoint, so the test goes on), or ""."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return str(exc)
    return ""


# --- who looked ----------------------------------------------------------------------------


def test_workbench_candidate_page_leaves_a_row_with_who_when_where_what(client, org, case):
    candidate, _imgs = case
    reviewer = org.staff["site"]
    reviewer.first_name, reviewer.last_name = "李", "审核"
    reviewer.save()
    client.force_login(reviewer)

    response = client.get(
        reverse("review:candidate", kwargs={"pk": candidate.pk}), REMOTE_ADDR="10.1.2.3"
    )

    assert response.status_code == 200
    [row] = views_of(candidate)
    assert (row.action, row.actor, row.actor_name, row.role) == (
        EventAction.CANDIDATE_VIEW,
        reviewer,
        "李 审核",
        "site_reviewer",
    )
    assert row.ip_address == "10.1.2.3"
    assert row.data == {"page": "workbench"}
    assert row.created_at is not None


def test_admin_candidate_change_page_leaves_a_row(client, org, case):
    candidate, _imgs = case
    client.force_login(org.staff["operator"])

    response = client.get(reverse("admin:accounts_candidate_change", args=[candidate.pk]))

    assert response.status_code == 200
    [row] = views_of(candidate)
    assert (row.actor, row.role, row.data) == (
        org.staff["operator"],
        "operator",
        {"page": "admin"},
    )


def test_admin_candidate_of_another_province_leaves_no_row(client, org, case):
    candidate, _imgs = case
    client.force_login(operator(org.other_province))

    response = client.get(reverse("admin:accounts_candidate_change", args=[candidate.pk]))

    assert response.status_code in (302, 404)
    assert views_of(candidate) == []


@pytest.mark.parametrize("variant", ["display", "original"])
def test_staff_photo_view_leaves_a_row(client, org, case, variant):
    candidate, imgs = case
    client.force_login(org.staff["province"])

    response = client.get(
        reverse("materials:image", kwargs={"pk": imgs[0].pk, "variant": variant}),
        REMOTE_ADDR="10.9.8.7",
    )

    assert response.status_code == 200
    [row] = views_of(candidate)
    assert (row.action, row.image_id, row.actor, row.role, row.ip_address) == (
        EventAction.IMAGE_VIEW,
        imgs[0].pk,
        org.staff["province"],
        "province_reviewer",
        "10.9.8.7",
    )
    assert row.data["variant"] == variant


def test_thumbnail_in_a_list_leaves_no_row(client, org, case):
    candidate, imgs = case
    client.force_login(org.staff["site"])
    url = reverse("materials:image", kwargs={"pk": imgs[0].pk, "variant": "thumb"})
    assert client.get(url).status_code == 200
    assert views_of(candidate) == []


def test_candidate_viewing_own_photo_is_not_a_staff_view(client, case):
    candidate, imgs = case
    session = client.session
    session[SESSION_KEY] = candidate.pk
    session.save()

    response = client.get(
        reverse("materials:image", kwargs={"pk": imgs[0].pk, "variant": "display"})
    )

    assert response.status_code == 200
    assert views_of(candidate) == []


def test_reviewer_of_another_site_refused_and_leaves_no_row(client, org, case):
    candidate, imgs = case
    client.force_login(org.staff["other_site"])
    url = reverse("materials:image", kwargs={"pk": imgs[0].pk, "variant": "original"})
    assert client.get(url).status_code == 404
    assert client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).status_code == 404
    assert views_of(candidate) == []


def test_history_shows_the_name_at_the_time_not_the_current_one(client, org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    reviewer.first_name, reviewer.last_name = "张", "三"
    reviewer.save()
    services.image_approve(image=imgs[0], by=reviewer)
    reviewer.first_name, reviewer.last_name = "张", "改名"
    reviewer.save()
    client.force_login(org.staff["province"])

    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()

    history = body[body.index('id="history-h"') :]
    assert "张 三" in history
    assert "张 改名" not in history
    assert "考点审核员" in history
    # The page views themselves are not in the workbench's history.
    assert "查看考生" not in history


def test_admin_audit_list_shows_the_stored_name(client, org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    reviewer.first_name, reviewer.last_name = "王", "五"
    reviewer.save()
    services.image_approve(image=imgs[0], by=reviewer)
    reviewer.first_name = "赵"
    reviewer.save()
    client.force_login(org.staff["operator"])

    body = client.get(reverse("admin:review_reviewevent_changelist")).content.decode()

    assert "王 五" in body
    assert "赵 五" not in body


# --- never changed, never deleted ---------------------------------------------------------


def test_orm_refuses_to_change_or_delete_audit_rows(org, case):
    candidate, imgs = case
    event = services.candidate_view_record(
        candidate=candidate, by=org.staff["site"], page="workbench", ip=None
    )
    event.action = EventAction.REJECT
    with pytest.raises(AuditRowImmutable):
        event.save()
    with pytest.raises(AuditRowImmutable):
        event.delete()
    with pytest.raises(AuditRowImmutable):
        ReviewEvent.objects.filter(pk=event.pk).update(action=EventAction.REJECT)
    with pytest.raises(AuditRowImmutable):
        ReviewEvent.objects.filter(pk=event.pk).delete()
    assert ReviewEvent.objects.get(pk=event.pk).action == EventAction.CANDIDATE_VIEW


def test_postgresql_refuses_update_and_delete_of_audit_rows(org, case):
    """The database itself, past the ORM: runs on PostgreSQL (CI's second run); SQLite has
    no such trigger."""
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's: run on PostgreSQL (CI)")
    candidate, _imgs = case
    event = services.candidate_view_record(
        candidate=candidate, by=org.staff["site"], page="workbench", ip=None
    )
    table, head = ReviewEvent._meta.db_table, AuditChainHead._meta.db_table
    refused = "Cannot update or delete"
    assert refused in database_error(
        f"UPDATE {table} SET action = 'reject' WHERE id = %s",  # noqa: S608
        [event.pk],
    )
    assert refused in database_error(f"UPDATE {table} SET action = 'reject'", [])  # noqa: S608
    assert refused in database_error(f"DELETE FROM {table} WHERE id = %s", [event.pk])  # noqa: S608
    assert "Cannot delete" in database_error(f"DELETE FROM {head}", [])  # noqa: S608
    assert ReviewEvent.objects.get(pk=event.pk).action == EventAction.CANDIDATE_VIEW


def test_candidate_with_an_audit_trail_is_not_deleted(org, case):
    candidate, imgs = case
    services.image_approve(image=imgs[0], by=org.staff["site"])
    with pytest.raises(ProtectedError):
        candidate.delete()
    assert ReviewEvent.objects.filter(candidate=candidate).count() == 1


def test_staff_account_with_an_audit_trail_is_not_deleted(org, case):
    candidate, imgs = case
    services.image_approve(image=imgs[0], by=org.staff["site"])
    with pytest.raises(ProtectedError):
        org.staff["site"].delete()


def test_deleted_photo_keeps_its_audit_rows_and_their_photo_id(org, case):
    candidate, imgs = case
    services.image_view_record(image=imgs[0], by=org.staff["site"], variant="display", ip=None)
    photo_id = imgs[0].pk
    imgs[0].delete()  # as a candidate's deletion of a pending photo, or the purge
    [row] = views_of(candidate)
    assert row.image_id == photo_id
    assert "完整" in verify()


# --- the chain -----------------------------------------------------------------------------


def test_rows_are_chained_in_order_and_verify_says_intact(org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    services.candidate_view_record(candidate=candidate, by=reviewer, page="workbench", ip="::1")
    services.image_approve(image=imgs[0], by=reviewer, ip="2001:0db8::0001")
    services.images_approve_remaining(candidate=candidate, by=reviewer)
    rows = list(ReviewEvent.objects.order_by("id"))

    assert rows[0].prev_hash == chain.GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
    assert AuditChainHead.objects.get().last_hash == rows[-1].row_hash
    assert f"共 {len(rows)} 条" in verify()


def test_rows_without_a_candidate_are_chained_too(org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    services.image_approve(image=imgs[0], by=reviewer)
    ReviewEvent.objects.create(
        candidate=None,
        actor_kind="staff",
        actor=org.staff["national"],
        action=EventAction.STAFF_2FA_RESET,
        data={"user_id": reviewer.pk},
    )
    services.candidate_view_record(candidate=candidate, by=reviewer, page="admin", ip=None)
    assert "共 3 条" in verify()


def test_verify_reports_the_id_of_a_tampered_row(org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    for img in imgs:
        services.image_approve(image=img, by=reviewer)
    services.candidate_view_record(candidate=candidate, by=reviewer, page="workbench", ip=None)
    tampered = ReviewEvent.objects.order_by("id")[1]

    raw_sql("UPDATE {table} SET actor_name = %s WHERE id = %s", ["别人", tampered.pk])

    with pytest.raises(CommandError, match=f"记录 #{tampered.pk} 的内容与其哈希不符"):
        verify()


def test_verify_reports_a_removed_row_at_the_next_one(org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    for img in imgs:
        services.image_approve(image=img, by=reviewer)
    services.candidate_view_record(candidate=candidate, by=reviewer, page="workbench", ip=None)
    first, removed, following = ReviewEvent.objects.order_by("id")

    raw_sql("DELETE FROM {table} WHERE id = %s", [removed.pk])

    with pytest.raises(CommandError, match=f"记录 #{following.pk} 所记的上一条哈希"):
        verify()


def test_verify_reports_removed_last_rows_by_the_chain_head(org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    services.image_approve(image=imgs[0], by=reviewer)
    last = services.candidate_view_record(
        candidate=candidate, by=reviewer, page="workbench", ip=None
    )

    raw_sql("DELETE FROM {table} WHERE id = %s", [last.pk])

    with pytest.raises(CommandError, match="链头所记的末条哈希与最后一条记录不符"):
        verify()


def test_chain_stays_whole_when_staff_look_at_once(transactional_db, org, case):
    """Eight reviewers' views written at the same moment, each on its own connection: the
    head's lock puts them in one line (PostgreSQL; SQLite has no row locks)."""
    skip_unless_postgres()
    candidate, imgs = case
    reviewer = org.staff["site"]
    outcomes = run_at_once(
        [
            lambda: services.candidate_view_record(
                candidate=candidate, by=reviewer, page="workbench", ip=None
            )
            for _ in range(8)
        ],
        refusal=lambda exc: exc.code,
    )
    assert outcomes == ["ok"] * 8
    assert len(views_of(candidate)) == 8
    assert "共 8 条" in verify()


def test_staff_view_during_a_decision_on_the_same_candidate_does_not_deadlock(
    transactional_db, org, case
):
    """A decision holds its candidate's row and then takes the chain head; a staff view of
    that candidate arrives in between. The view waits for the candidate before it takes
    the head, so both go through (taking the head first, the view would wait at its
    commit for the candidate while the decision waits for the head: PostgreSQL's deadlock
    error, a 500 on the photo)."""
    skip_unless_postgres()
    candidate, imgs = case
    reviewer = org.staff["site"]
    candidate_locked, go_on = threading.Event(), threading.Event()
    outcomes = {}

    def decision():
        try:
            with transaction.atomic():
                lock_candidate(candidate.pk)
                candidate_locked.set()
                go_on.wait(timeout=10)
                services.note_create(candidate=candidate, by=reviewer, text="备注")
            outcomes["decision"] = "ok"
        except Exception as exc:
            outcomes["decision"] = repr(exc)
        finally:
            connections.close_all()

    def view():
        try:
            services.image_view_record(image=imgs[0], by=reviewer, variant="display", ip=None)
            outcomes["view"] = "ok"
        except Exception as exc:
            outcomes["view"] = repr(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=decision)
    first.start()
    assert candidate_locked.wait(timeout=10)
    second = threading.Thread(target=view)
    second.start()
    second.join(timeout=1)  # the view is now waiting on the candidate's row
    go_on.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert outcomes == {"decision": "ok", "view": "ok"}
    assert "共 2 条" in verify()


# --- the export for an inspector -----------------------------------------------------------


def _export(client, candidates):
    return client.post(
        reverse("admin:accounts_candidate_changelist"),
        {"action": "export_trail_action", "_selected_action": [c.pk for c in candidates]},
    )


def test_operator_exports_one_candidates_trail_and_the_export_is_recorded(client, org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    reviewer.first_name, reviewer.last_name = "孙", "审"
    reviewer.save()
    services.image_return(image=imgs[0], by=reviewer, reason="=HYPERLINK(1)", text="")
    services.image_view_record(image=imgs[1], by=reviewer, variant="original", ip="10.0.0.5")
    client.force_login(org.staff["operator"])

    response = _export(client, [candidate])

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[1][:2] == ["报名号", candidate.reg_no]
    header = rows.index(next(r for r in rows if r and r[0] == "记录号"))
    events = rows[header + 1 :]
    assert [r[5] for r in events] == ["图片退回", "查看图片", "导出审核记录"]
    assert events[0][2] == "孙 审"
    assert events[1][10] == "10.0.0.5"
    # A reason that looks like a formula stays text.
    assert all(not str(cell).startswith("=") for row in events for cell in row if cell)
    exported = ReviewEvent.objects.filter(candidate=candidate).order_by("id").last()
    assert (exported.action, exported.actor) == (EventAction.TRAIL_EXPORT, org.staff["operator"])
    assert events[2][12] == exported.row_hash


def test_export_of_another_provinces_candidate_gives_nothing(client, org, case):
    candidate, _imgs = case
    client.force_login(operator(org.other_province))

    response = _export(client, [candidate])

    assert not response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not ReviewEvent.objects.filter(action=EventAction.TRAIL_EXPORT).exists()


def test_export_asks_for_exactly_one_candidate(client, org, case):
    candidate, _imgs = case
    other, _cats, _imgs2 = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=1)
    client.force_login(org.staff["operator"])

    response = _export(client, [candidate, other])

    assert response.status_code == 302
    followed = client.get(response["Location"]).content.decode()
    assert "请只选择一名考生导出审核记录" in followed
    assert not ReviewEvent.objects.filter(action=EventAction.TRAIL_EXPORT).exists()


# --- the rows written before the chain -----------------------------------------------------


def test_the_migration_hashes_rows_as_the_app_does():
    migration = importlib.import_module("review.migrations.0006_chain_existing_audit_rows")
    values = {
        "candidate_id": 7,
        "image_id": None,
        "actor_kind": "staff",
        "actor_id": 3,
        "actor_name": "张 三",
        "role": "site_reviewer",
        "action": "image_return",
        "from_status": "",
        "to_status": "",
        "data": {"reason": "图片不清晰", "items": (1, 2), "n": 1.5},
        "ip_address": "::ffff:10.0.0.1",
        "created_at": timezone.now(),
    }
    assert migration.row_digest(chain.GENESIS, values) == chain.row_digest(chain.GENESIS, values)


@pytest.mark.django_db(transaction=True)
def test_migration_chains_existing_rows_and_names_their_actors(org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    reviewer.first_name, reviewer.last_name = "钱", "七"
    reviewer.save()
    for img in imgs:
        services.image_approve(image=img, by=reviewer)
    services.candidate_transition(candidate=candidate, verb="site_pass", by=reviewer)
    before = [
        (
            ReviewEvent.objects.get(pk=pk).action,
            ReviewEvent.objects.get(pk=pk).created_at,
        )
        for pk in ReviewEvent.objects.order_by("id").values_list("pk", flat=True)
    ]
    # The rows written before the chain had no name: the migration gives them the name the
    # account has when it runs, the nearest it knows.
    reviewer.last_name = "八"
    reviewer.save()
    executor = MigrationExecutor(connection)
    # Back to before the chain (its columns dropped), then forward again.
    executor.migrate([("review", "0004_staff_audit_rows_without_candidate")])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = list(ReviewEvent.objects.order_by("id"))
    assert [(r.action, r.created_at) for r in rows] == before
    assert [r.actor_name for r in rows] == ["钱 八"] * 3
    assert f"共 {len(rows)} 条" in verify()
    # New rows go on from the migrated chain.
    services.candidate_view_record(candidate=candidate, by=reviewer, page="admin", ip=None)
    assert f"共 {len(rows) + 1} 条" in verify()


# --- photos loaded ahead: recorded when shown, not when loaded -------------------------------


def _page_token(client, candidate) -> str:
    import re

    body = client.get(reverse("review:candidate", kwargs={"pk": candidate.pk})).content.decode()
    return re.search(r'data-ahead="([^"]+)"', body).group(1)


def _photo(client, image, **query):
    url = reverse("materials:image", kwargs={"pk": image.pk, "variant": "display"})
    response = client.get(url, query)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def _photo_views(candidate) -> list[int]:
    return list(
        ReviewEvent.objects.filter(candidate=candidate, action=EventAction.IMAGE_VIEW)
        .order_by("id")
        .values_list("image_id", flat=True)
    )


def test_photo_loaded_ahead_with_the_page_token_leaves_no_row_until_shown(client, org, case):
    candidate, imgs = case
    reviewer = org.staff["site"]
    client.force_login(reviewer)
    token = _page_token(client, candidate)

    _photo(client, imgs[1], ahead=token)
    assert _photo_views(candidate) == []

    response = client.post(
        reverse("review:photos_shown", kwargs={"pk": candidate.pk}),
        {"image": [imgs[1].pk]},
        REMOTE_ADDR="10.4.4.4",
    )
    assert response.status_code == 204
    [row] = ReviewEvent.objects.filter(candidate=candidate, action=EventAction.IMAGE_VIEW)
    assert (row.image_id, row.actor, row.ip_address, row.data["variant"]) == (
        imgs[1].pk,
        reviewer,
        "10.4.4.4",
        "display",
    )


def test_one_report_of_several_photos_records_each_once_in_the_order_shown(client, org, case):
    """The page's script sends the photos shown while its last report was on its way in
    one report: a row each, in the order the reviewer showed them (not by id), once."""
    candidate, imgs = case
    client.force_login(org.staff["site"])
    url = reverse("review:photos_shown", kwargs={"pk": candidate.pk})
    response = client.post(url, {"image": [imgs[1].pk, imgs[0].pk, imgs[1].pk]})
    assert response.status_code == 204
    assert _photo_views(candidate) == [imgs[1].pk, imgs[0].pk]


def test_photo_served_without_a_token_is_recorded_as_it_is_served(client, org, case):
    candidate, imgs = case
    client.force_login(org.staff["site"])
    _page_token(client, candidate)
    _photo(client, imgs[0])
    assert _photo_views(candidate) == [imgs[0].pk]


def test_ahead_token_of_another_candidate_or_reviewer_does_not_spare_the_row(client, org, case):
    candidate, imgs = case
    other, _c, other_imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=1)
    reviewer = org.staff["site"]
    client.force_login(reviewer)
    token = _page_token(client, other)
    _photo(client, imgs[0], ahead=token)  # the token is for another candidate's page
    _photo(client, imgs[1], ahead="forged")
    assert _photo_views(candidate) == [imgs[0].pk, imgs[1].pk]
    # Another reviewer of the same site with the first reviewer's token: recorded too.
    from tests.factories.accounts import site_reviewer

    own_token = _page_token(client, candidate)
    client.force_login(site_reviewer(org.site))
    _photo(client, imgs[0], ahead=own_token)
    assert _photo_views(candidate) == [imgs[0].pk, imgs[1].pk, imgs[0].pk]


def test_original_is_always_recorded_as_served(client, org, case):
    candidate, imgs = case
    client.force_login(org.staff["site"])
    token = _page_token(client, candidate)
    url = reverse("materials:image", kwargs={"pk": imgs[0].pk, "variant": "original"})
    assert client.get(url, {"ahead": token}).status_code == 200
    assert _photo_views(candidate) == [imgs[0].pk]


def test_shown_report_of_a_photo_of_another_candidate_writes_nothing(client, org, case):
    candidate, imgs = case
    other, _c, other_imgs = candidate_with_photos(status=S.SUBMITTED, site=org.site, photos=1)
    client.force_login(org.staff["site"])
    url = reverse("review:photos_shown", kwargs={"pk": candidate.pk})
    response = client.post(url, {"image": [other_imgs[0].pk]})
    assert response.status_code == 400
    assert "图片不存在" in response.content.decode()
    assert client.post(url, {"image": ["x"]}).status_code == 400
    assert _photo_views(candidate) == [] and _photo_views(other) == []


def test_shown_report_outside_the_scope_is_404_and_writes_nothing(client, org, case):
    candidate, imgs = case
    client.force_login(org.staff["other_site"])
    url = reverse("review:photos_shown", kwargs={"pk": candidate.pk})
    assert client.post(url, {"image": [imgs[0].pk]}).status_code == 404
    assert client.get(url).status_code == 405
    assert _photo_views(candidate) == []


def test_answer_to_a_photo_decision_posted_by_the_page_is_the_page_without_a_view_row(
    client, org, case
):
    candidate, imgs = case
    client.force_login(org.staff["site"])
    url = reverse("review:image_approve", kwargs={"pk": candidate.pk, "image_pk": imgs[0].pk})
    response = client.post(
        url, {"expected_status": "submitted"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 200
    assert f'id="photo-{imgs[0].pk}"' in response.content.decode()
    assert views_of(candidate) == []
    # Without the page's script: back to the page by a redirect, whose GET is a view.
    url = reverse("review:image_approve", kwargs={"pk": candidate.pk, "image_pk": imgs[1].pk})
    response = client.post(url, {"expected_status": "submitted"}, follow=True)
    assert [row.action for row in views_of(candidate)] == [EventAction.CANDIDATE_VIEW]
