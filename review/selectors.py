"""Reads for the review side: what the candidate is told, and what reviewers see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.enums import CandidateStatus, StaffRole
from accounts.idcrypt import id_no_digest
from accounts.models import Candidate, Province, StaffProfile
from accounts.selectors import (  # noqa: F401  (submitted_message re-exported)
    candidates_not_started,
    staff_scope_q,
    submitted_message,
)
from materials.models import PHOTO_ORDER, MaterialImage
from materials.precheck.selectors import candidates_with_hints
from materials.selectors import categories_for_candidate
from notifications.models import Notification
from notifications.selectors import sms_delivery_by_province

from . import chain
from .enums import VIEW_ACTIONS, EventAction
from .models import (
    AuditChainHead,
    Feedback,
    ReturnReason,
    ReviewClaim,
    ReviewEvent,
    ReviewNote,
    SiteStatusCount,
)


def feedback_for_candidate(candidate: Candidate) -> QuerySet[Feedback]:
    """审核意见 shown at the top of the material page, newest first."""
    return Feedback.objects.filter(candidate=candidate).order_by("-created_at", "-id")


# The 审核意见 that ask the candidate to change something (a rejection asks nothing).
RETURN_ACTIONS = (EventAction.SITE_RETURN, EventAction.PROVINCE_RETURN)


@dataclass(frozen=True)
class FeedbackEntry:
    feedback: Feedback
    # Answered (the candidate resubmitted, or the review has ended): history, not a to-do.
    handled: bool


@dataclass(frozen=True)
class FinalResult:
    """审核通过 or 审核拒绝, with when, and the reason of a rejection."""

    status: str
    label: str
    decided_at: dt.datetime | None
    reason: str = ""


@dataclass(frozen=True)
class CandidateFeedback:
    result: FinalResult | None
    entries: list[FeedbackEntry]


def candidate_feedback_view(candidate: Candidate) -> CandidateFeedback:
    """What the material page says of the review: the final result once there is one (a
    rejection's own 审核意见 is its reason, not repeated below), and the 审核意见, each marked
    handled unless it is the return the candidate still has to answer (the newest one, while
    the candidate is 退回修改)."""
    feedback = list(feedback_for_candidate(candidate))
    status = candidate.status
    result = None
    if status in (CandidateStatus.APPROVED, CandidateStatus.REJECTED):
        reason, decided_at = "", candidate.status_changed_at
        if status == CandidateStatus.REJECTED:
            rejection = next((f for f in feedback if f.action == EventAction.REJECT), None)
            if rejection is not None:
                feedback.remove(rejection)
                reason = rejection.message
                decided_at = decided_at or rejection.created_at
        result = FinalResult(
            status=status,
            label=CandidateStatus(status).label,
            decided_at=decided_at,
            reason=reason,
        )
    open_return = None
    if status == CandidateStatus.RETURNED:
        open_return = next((f for f in feedback if f.action in RETURN_ACTIONS), None)
    return CandidateFeedback(
        result=result,
        entries=[FeedbackEntry(feedback=f, handled=f is not open_return) for f in feedback],
    )


# --- the reviewer workbench ----------------------------------------------------------------

QUEUE_PAGE_SIZE = 50
DECISION_ACTIONS = (
    EventAction.SITE_PASS,
    EventAction.SITE_RETURN,
    EventAction.PROVINCE_APPROVE,
    EventAction.PROVINCE_RETURN,
    EventAction.PROVINCE_RETURN_TO_SITE,
    EventAction.REJECT,
)


def default_queue_status(profile: StaffProfile) -> str:
    """A site reviewer starts on 待考点审核 of their site; a province reviewer and an operator
    on 考点通过 of their province; national staff on 待考点审核."""
    if profile.role in (StaffRole.PROVINCE_REVIEWER, StaffRole.OPERATOR):
        return CandidateStatus.SITE_PASSED
    return CandidateStatus.SUBMITTED


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""
    site_id: int | None = None
    category_id: int | None = None
    resubmitted: bool = False
    overdue: bool = False
    q: str = ""
    precheck: bool = False  # only candidates with a hint of the machine pre-check


@dataclass(frozen=True)
class Cursor:
    submitted_at: dt.datetime | None
    pk: int

    def encode(self) -> str:
        stamp = "n" if self.submitted_at is None else str(int(self.submitted_at.timestamp() * 1e6))
        return f"{stamp}.{self.pk}"

    @classmethod
    def decode(cls, value: str) -> Cursor | None:
        try:
            stamp, pk = value.split(".", 1)
            moment = (
                None if stamp == "n" else dt.datetime.fromtimestamp(int(stamp) / 1e6, tz=dt.UTC)
            )
            return cls(submitted_at=moment, pk=int(pk))
        except (ValueError, OverflowError, OSError):
            return None


def _queue_base(profile: StaffProfile, flt: QueueFilter, *, now: dt.datetime):
    qs = Candidate.objects.filter(staff_scope_q(profile))
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.site_id:
        qs = qs.filter(site_id=flt.site_id)
    if flt.category_id:
        qs = qs.filter(category_id=flt.category_id)
    if flt.resubmitted:
        # returned_by stays set after a resubmission (see services.candidate_resubmit).
        qs = qs.filter(status__in=(CandidateStatus.SUBMITTED, CandidateStatus.SITE_PASSED)).exclude(
            returned_by=""
        )
    if flt.overdue:
        qs = qs.filter(status=CandidateStatus.RETURNED, reply_deadline__lt=now)
    if flt.precheck:
        qs = qs.filter(candidates_with_hints())
    q = flt.q.strip()
    if q:
        # A whole ID number is found by its keyed hash (accounts/idcrypt.py).
        qs = qs.filter(Q(reg_no=q) | Q(name__startswith=q) | Q(id_no_hash=id_no_digest(q)))
    return qs


def _after(cursor: Cursor, *, nulls: bool = True) -> Q:
    """Rows after the cursor in (submitted_at NULLS LAST, id) order. The redundant
    `submitted_at >= x` lets the database start its index range scan at the cursor instead
    of filtering from the start (what makes keyset paging fast on deep pages). `nulls`:
    whether the filtered statuses can have no submitted_at at all (only DRAFT can)."""
    if cursor.submitted_at is None:
        return Q(submitted_at__isnull=True, pk__gt=cursor.pk)
    after = Q(submitted_at__gte=cursor.submitted_at) & (
        Q(submitted_at__gt=cursor.submitted_at) | Q(pk__gt=cursor.pk)
    )
    return after | Q(submitted_at__isnull=True) if nulls else after


def _nulls_possible(flt: QueueFilter) -> bool:
    return flt.status in ("", CandidateStatus.DRAFT)


QUEUE_ORDER = (F("submitted_at").asc(nulls_last=True), F("id").asc())


def queue_page(
    profile: StaffProfile,
    flt: QueueFilter,
    *,
    cursor: Cursor | None = None,
    size: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[Candidate], Cursor | None]:
    """One page of the queue, oldest first by (submitted_at, id), after `cursor` (keyset, no
    OFFSET). One query. Returns the rows and the cursor of the next page (None at the end)."""
    now = now or timezone.now()
    size = size or QUEUE_PAGE_SIZE
    qs = _queue_base(profile, flt, now=now)
    if cursor is not None:
        qs = qs.filter(_after(cursor, nulls=_nulls_possible(flt)))
    rows = list(
        qs.select_related("site", "category", "claim__reviewer").order_by(*QUEUE_ORDER)[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = Cursor(rows[-1].submitted_at, rows[-1].pk) if more and rows else None
    return rows, next_cursor


def next_in_queue(
    profile: StaffProfile,
    flt: QueueFilter,
    *,
    after: Candidate,
    now: dt.datetime | None = None,
    skip: Iterable[int] = (),
) -> Candidate | None:
    """ "Save and next": the candidate following `after` in the queue (or the first one, when
    `after` has left it, e.g. just passed), leaving out the candidates `skip` and those
    another reviewer holds (an unexpired claim). Read only: review.services.claim_next
    claims what this finds."""
    now = now or timezone.now()
    qs = (
        _queue_base(profile, flt, now=now)
        .exclude(pk__in=[after.pk, *skip])
        .exclude(
            Exists(
                ReviewClaim.objects.filter(candidate=OuterRef("pk"), expires_at__gt=now).exclude(
                    reviewer_id=profile.user_id
                )
            )
        )
    )
    candidate = (
        qs.filter(_after(Cursor(after.submitted_at, after.pk), nulls=_nulls_possible(flt)))
        .order_by(*QUEUE_ORDER)
        .first()
    )
    return candidate or qs.order_by(*QUEUE_ORDER).first()


def claim_in_force(candidate: Candidate, *, now: dt.datetime) -> ReviewClaim | None:
    """The unexpired claim on the candidate, with its reviewer (read only)."""
    return (
        ReviewClaim.objects.select_related("reviewer")
        .filter(candidate_id=candidate.pk, expires_at__gt=now)
        .first()
    )


def status_counts(profile: StaffProfile) -> dict[str, int]:
    """Candidates per status in the staff member's scope, from the per-site counts kept by
    the writes (SiteStatusCount): a few rows per site, whatever the size of the province."""
    return SiteStatusCount.objects.per_status(staff_scope_q(profile))


@dataclass
class CategoryBlock:
    category: object
    images: list = field(default_factory=list)  # current photos, each with .replaced_versions
    applicable: bool = True


def candidate_material_blocks(candidate: Candidate) -> list[CategoryBlock]:
    """Every applicable category with its current photos in page order (PHOTO_ORDER: a
    replacement where the photo it replaced stood); each photo carries the versions it
    replaced (newest first) as `.replaced_versions`; removed photos that nothing replaced
    follow in their category as `.removed_versions`. Photos in categories that no longer
    apply come last. Three queries."""
    categories = categories_for_candidate(candidate)
    images = list(
        MaterialImage.objects.filter(candidate=candidate)
        .select_related("category", "decided_by")
        .order_by(*PHOTO_ORDER)
    )
    by_pk = {img.pk: img for img in images}
    for img in images:
        img.replaced_versions = []
    replaced_ids = set()
    for img in images:
        if img.removed_at is None:
            older = by_pk.get(img.replaces_id)
            while older is not None and older.pk not in replaced_ids:
                img.replaced_versions.append(older)
                replaced_ids.add(older.pk)
                older = by_pk.get(older.replaces_id)
    blocks = {c.pk: CategoryBlock(category=c) for c in categories}
    for img in images:
        if img.removed_at is not None:
            continue
        block = blocks.get(img.category_id)
        if block is None:
            block = blocks[img.category_id] = CategoryBlock(category=img.category, applicable=False)
        block.images.append(img)
    for block in blocks.values():
        block.removed_versions = [
            img
            for img in images
            if img.category_id == block.category.pk
            and img.removed_at is not None
            and img.pk not in replaced_ids
        ]
    return list(blocks.values())


def return_reasons(province) -> list[ReturnReason]:
    """The active standard reasons a reviewer may choose for this province: its own and
    the national ones, in their order."""
    return list(
        ReturnReason.objects.filter(
            Q(province=province) | Q(province__isnull=True), is_active=True
        ).order_by("order", "id")
    )


def candidate_history(candidate: Candidate) -> list[ReviewEvent]:
    """What was done to the candidate, newest first, with the actor's name and role as
    recorded then. Staff views are left out (they are in the admin's audit list and the
    export of the trail)."""
    return list(
        ReviewEvent.objects.filter(candidate=candidate)
        .exclude(action__in=VIEW_ACTIONS)
        .select_related("image__category")
        .order_by("-created_at", "-id")[:200]
    )


def audit_chain_walk() -> chain.Walk:
    """The audit trail walked from its first row to the chain head (`manage.py
    audit_verify`): the number of rows, and the first link that does not hold, if any."""
    head = (
        AuditChainHead.objects.filter(pk=AuditChainHead.PK)
        .values_list("last_hash", flat=True)
        .first()
    )
    rows = (
        ReviewEvent.objects.order_by("id")
        .values("id", "prev_hash", "row_hash", *chain.HASHED_FIELDS)
        .iterator(chunk_size=2000)
    )
    return chain.first_break(rows, head_hash=head)


def candidate_notes(candidate: Candidate):
    return list(
        ReviewNote.objects.filter(candidate=candidate)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def candidate_messages(candidate: Candidate):
    return list(Notification.objects.filter(candidate=candidate).order_by("-created_at", "-id"))


def sms_delivery(profile: StaffProfile) -> list[dict]:
    """SMS delivery per province, of the messages to the candidates the staff member sees
    (notifications.selectors), with the province's name."""
    rows = sms_delivery_by_province(
        messages=Notification.objects.filter(staff_scope_q(profile, prefix="candidate__"))
    )
    # All the provinces' names (a few dozen rows): one query whatever the messages.
    names = dict(Province.objects.values_list("code", "name"))
    return [{**row, "name": names.get(row["province_code"], "")} for row in rows]


def dashboard(profile: StaffProfile, *, now: dt.datetime | None = None, days: int = 14) -> dict:
    """Per site (or the site itself): candidates per status (and of the drafts, how many have
    not started: pushed in a roster, never entered), decisions per day over the last `days`
    days, the oldest waiting at each level."""
    now = now or timezone.now()
    scope = Candidate.objects.filter(staff_scope_q(profile))
    # From the counts kept per site and status (SiteStatusCount), not by counting the
    # province's candidates.
    per_site_rows = (
        SiteStatusCount.objects.filter(staff_scope_q(profile), count__gt=0)
        .values("site_id", "site__code", "site__name", "status")
        .annotate(n=Sum("count"))
        .order_by("site__code")
    )
    sites: dict[int, dict] = {}
    for row in per_site_rows:
        entry = sites.setdefault(
            row["site_id"],
            {
                "code": row["site__code"],
                "name": row["site__name"],
                "counts": dict.fromkeys(CandidateStatus.values, 0),
            },
        )
        entry["counts"][row["status"]] = row["n"]
    # Pushed in a roster and never entered (all of them DRAFT, counted there as well): a few
    # rows per site from the partial index candidate_not_started.
    not_started = (
        candidates_not_started()
        .filter(staff_scope_q(profile))
        .values("site_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in not_started:
        if row["site_id"] in sites:
            sites[row["site_id"]]["not_started"] = row["n"]
    totals = dict.fromkeys(CandidateStatus.values, 0)
    totals["not_started"] = 0
    for entry in sites.values():
        entry.setdefault("not_started", 0)
        totals["not_started"] += entry["not_started"]
        for status, n in entry["counts"].items():
            totals[status] += n
    since = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) - dt.timedelta(days=days - 1)
    decisions = (
        ReviewEvent.objects.filter(
            staff_scope_q(profile, prefix="candidate__"),
            action__in=DECISION_ACTIONS,
            created_at__gte=since,
        )
        .annotate(day=TruncDate("created_at"))
        .values("day", "action")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    by_day: dict[dt.date, dict[str, int]] = {}
    for row in decisions:
        by_day.setdefault(row["day"], {})[row["action"]] = row["n"]
    day_rows = []
    for offset in range(days):
        day = (since + dt.timedelta(days=offset)).date()
        found = by_day.get(day, {})
        day_rows.append(
            {
                "day": day,
                "by_action": [found.get(a, 0) for a in DECISION_ACTIONS],
                "total": sum(found.values()),
            }
        )
    oldest = {}
    for status in (CandidateStatus.SUBMITTED, CandidateStatus.SITE_PASSED):
        oldest[status] = (
            scope.filter(status=status, submitted_at__isnull=False)
            .aggregate(oldest=Min("submitted_at"))
            .get("oldest")
        )
    return {
        "sites": list(sites.values()),
        "sms_delivery": sms_delivery(profile),
        "totals": totals,
        "days": list(reversed(day_rows)),
        "oldest_submitted": oldest[CandidateStatus.SUBMITTED],
        "oldest_site_passed": oldest[CandidateStatus.SITE_PASSED],
        "decision_labels": [EventAction(a).label for a in DECISION_ACTIONS],
    }
