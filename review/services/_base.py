"""What every review transition shares: who may act at which level, the row lock and the
conditional status update, the audit row, the SMS, the claim check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus, ReviewLevel, StaffRole
from accounts.models import Candidate, StaffProfile
from accounts.selectors import staff_can_see_candidate, staff_profile_of
from config.prepared import PreparedQuery
from materials.models import MaterialCategory, MaterialImage

from ..enums import ActorKind
from ..models import ReviewClaim, ReviewEvent

# How long opening a candidate keeps it for one reviewer; every action extends it.
CLAIM_MINUTES = 5
# Candidates handled per transaction by the deadline sweep.
DEADLINE_BATCH = 500
# A reminder goes out when this little time is left to reply.
REMINDER_HOURS = 6

REVIEW_STATES = (CandidateStatus.SUBMITTED, CandidateStatus.SITE_PASSED)


def _status_label(status: str) -> str:
    return str(CandidateStatus(status).label) if status in CandidateStatus.values else status


def _taken_message(candidate: Candidate) -> str:
    return _("该考生已被其他审核员处理（当前状态：%(status)s），请刷新后查看。") % {
        "status": _status_label(candidate.status)
    }


def _not_your_turn(candidate: Candidate) -> str:
    return _("该考生当前状态为「%(status)s」，不在您的审核环节。") % {
        "status": _status_label(candidate.status)
    }


# What the per-photo decisions read on the locked candidate (its state and scope), and what
# the site pass reads besides (the categories that apply to it). Every other transition
# locks the whole row with its province (SMS texts, reply hours). Fewer columns and no join
# make the lock about half as costly; a field outside the list would still load, lazily.
PHOTO_DECISION_FIELDS = ("status", "site", "province")
SITE_PASS_FIELDS = (*PHOTO_DECISION_FIELDS, "exam_year", "category", "tags", "reg_no", "name")
# What a candidate decision copies back into the caller's instance: its new state, and who
# it is (the workbench's message names the candidate; its view loads no row of its own).
DECIDED_FIELDS = ("status", "status_changed_at", "reg_no", "name")


class NotInScope(PermissionDenied):
    """The candidate does not exist, or not for this staff member (outside their site or
    province): the workbench answers both with 404, alike."""


# The row locks of the decisions, compiled once each (config.prepared): every decision
# takes one, and compiling the statement cost more than running it.
_LOCKS: dict[tuple[str, ...], PreparedQuery] = {}


def _lock_query(only: Sequence[str]) -> PreparedQuery:
    query = _LOCKS.get(tuple(only))
    if query is None:

        def build(pk):
            qs = Candidate.objects.select_for_update(of=("self",))
            return (qs.only(*only) if only else qs.select_related("province")).filter(pk=pk)

        query = _LOCKS[tuple(only)] = PreparedQuery(Candidate, build)
    return query


def _lock(candidate: Candidate | int, *, only: Sequence[str] = ()) -> Candidate:
    """The candidate row (a Candidate or its id), locked for the rest of the transaction,
    with its current state: the whole row and its province, or only the fields `only`."""
    pk = candidate if isinstance(candidate, int) else candidate.pk
    locked = _lock_query(only).get(pk)
    if locked is None:
        raise NotInScope(_("该考生不存在。"))
    return locked


def _sync(target: Candidate, source: Candidate, fields: Iterable[str]) -> None:
    # The caller's instance shows what was stored.
    for name in fields:
        setattr(target, name, getattr(source, name))


def _event(
    *,
    candidate: Candidate,
    action: str,
    actor=None,
    actor_kind: str = ActorKind.STAFF,
    role: str = "",
    from_status: str = "",
    to_status: str = "",
    image: MaterialImage | None = None,
    data: dict | None = None,
    ip: str | None = None,
) -> ReviewEvent:
    return ReviewEvent.objects.create(
        candidate=candidate,
        image=image,
        actor_kind=actor_kind,
        actor=actor,
        role=role,
        action=action,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        ip_address=ip or None,
    )


def _sms(*, candidate: Candidate, template: str, purpose: str, event_key: str, **context) -> None:
    """The message row is created in the decision's transaction and sent after commit."""
    if not candidate.phone:
        return
    from notifications.services import notification_create, render_sms

    text = render_sms(
        template,
        name=candidate.name,
        reg_no=candidate.reg_no,
        year=getattr(candidate.exam_year, "year", None),
        **context,
    )
    notification_create(
        recipient=candidate.phone,
        text=text,
        purpose=purpose,
        candidate=candidate,
        event_key=event_key,
    )


def _window_open(province, now: dt.datetime) -> bool:
    if province.opens_at is not None and now < province.opens_at:
        return False
    return not (province.closes_at is not None and now >= province.closes_at)


def _current_images(candidate: Candidate):
    return MaterialImage.objects.filter(candidate=candidate, removed_at__isnull=True)


def _missing_required(candidate: Candidate) -> list[MaterialCategory]:
    from materials.selectors import missing_required_categories

    return list(missing_required_categories(candidate))


def _applicable_categories(candidate: Candidate) -> list[MaterialCategory]:
    from materials.selectors import categories_for_candidate

    return list(categories_for_candidate(candidate))


def _names(categories: Iterable[MaterialCategory]) -> str:
    return "、".join(c.name for c in categories)


@dataclass(frozen=True)
class Actor:
    user: object
    profile: StaffProfile
    level: str  # ReviewLevel the action is taken at

    @property
    def role(self) -> str:
        return self.profile.role


def _profile_for(by, candidate: Candidate) -> StaffProfile:
    profile = staff_profile_of(by)
    if profile is None or not staff_can_see_candidate(by, candidate):
        raise NotInScope(_("您无权审核该考生。"))
    return profile


def _level_for_status(status: str) -> str | None:
    if status == CandidateStatus.SUBMITTED:
        return ReviewLevel.SITE
    if status == CandidateStatus.SITE_PASSED:
        return ReviewLevel.PROVINCE
    return None


def _can_act_at(profile: StaffProfile, level: str) -> bool:
    if profile.role in (StaffRole.OPERATOR, StaffRole.NATIONAL):
        return True
    return profile.review_level == level


def _reviewer(
    *,
    by,
    candidate: Candidate,
    levels: Sequence[str] = (ReviewLevel.SITE, ReviewLevel.PROVINCE),
    expected_status: str | None = None,
    now: dt.datetime | None = None,
    take_claim: bool = False,
) -> Actor:
    """Checks, on the LOCKED candidate, that `by` may act on it now and at which level.
    Scope failures are NotInScope (a PermissionDenied), a role that cannot act at the level
    PermissionDenied; a state that moved on (another reviewer was faster)
    or a claim held by someone else is a ValidationError with a clear message. `take_claim`:
    the caller's claim is taken or extended as part of the check (a photo decision);
    otherwise the claim ends here (a candidate decision, see `_end_claim`)."""
    profile = _profile_for(by, candidate)
    if profile.role == StaffRole.SITE_REVIEWER:
        own = {ReviewLevel.SITE}
    elif profile.role == StaffRole.PROVINCE_REVIEWER:
        own = {ReviewLevel.PROVINCE}
    elif profile.role in (StaffRole.OPERATOR, StaffRole.NATIONAL):
        own = {ReviewLevel.SITE, ReviewLevel.PROVINCE}
    else:
        raise PermissionDenied(_("您无权审核该考生。"))
    if not own.intersection(levels):
        raise PermissionDenied(_("您的审核级别不能执行此操作。"))
    if expected_status and candidate.status != expected_status:
        raise ValidationError(_taken_message(candidate), code="state")
    level = _level_for_status(candidate.status)
    if level is None or level not in levels or level not in own:
        raise ValidationError(_not_your_turn(candidate), code="state")
    if take_claim:
        # Per-photo decisions keep the candidate: take or extend the claim in one statement.
        _take_claim(candidate=candidate, by=by, now=now or timezone.now())
    else:
        # A candidate decision ends it.
        _end_claim(candidate=candidate, by=by, now=now or timezone.now())
    return Actor(user=by, profile=profile, level=level)


def _claimed(*, reviewer_id: int, expires_at: dt.datetime) -> ValidationError:
    """The refusal while another reviewer holds the candidate: who, and until when."""
    from django.contrib.auth import get_user_model

    holder = get_user_model().objects.filter(pk=reviewer_id).first()
    return ValidationError(
        _("该考生正由审核员 %(user)s 审核（至 %(until)s），请稍后再试。")
        % {
            "user": (holder.get_full_name() or holder.get_username()) if holder else "",
            "until": timezone.localtime(expires_at).strftime("%H:%M"),
        },
        code="claimed",
    )


def _check_claim(*, candidate: Candidate, by, now: dt.datetime) -> None:
    # At most one claim per candidate (its primary key): no ORDER BY needed.
    held = (
        ReviewClaim.objects.filter(candidate_id=candidate.pk, expires_at__gt=now)
        .exclude(reviewer_id=by.pk)
        .values_list("reviewer_id", "expires_at")
    )
    claim = next(iter(held[:1]), None)
    if claim is not None:
        raise _claimed(reviewer_id=claim[0], expires_at=claim[1])


_CLAIM_RELEASE = (
    "DELETE FROM review_reviewclaim WHERE candidate_id = %s RETURNING reviewer_id, expires_at"
)


def _end_claim(*, candidate: Candidate, by, now: dt.datetime) -> None:
    """A candidate decision ends the claim on the candidate, unless another reviewer holds
    it: then the decision is refused with who holds it. One statement for the check and the
    release: the claim is deleted, and if it was someone else's and still running, the
    refusal rolls the decision's transaction back, the claim with it."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_RELEASE, [candidate.pk])
        row = cursor.fetchone()
    if row is None or row[0] == by.pk:
        return
    expires_at = row[1]
    if isinstance(expires_at, str):  # SQLite returns the stored text (UTC)
        expires_at = parse_datetime(expires_at)
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at, dt.UTC)
    if expires_at > now:
        raise _claimed(reviewer_id=row[0], expires_at=expires_at)


def _move(
    locked: Candidate,
    *,
    to: str,
    now: dt.datetime,
    extra: dict | None = None,
) -> str:
    """Writes the transition as a conditional update on the status found under the row lock.
    The lock already makes the status check safe on PostgreSQL; the condition keeps it safe
    where there are no row locks (SQLite, the embedded default): of two concurrent writers
    one updates the row and the other finds it changed and is told so."""
    before = locked.status
    fields = {"status": to, "status_changed_at": now, "updated_at": now, **(extra or {})}
    updated = Candidate.objects.filter(pk=locked.pk, status=before).update(**fields)
    if updated != 1:
        current = Candidate.objects.filter(pk=locked.pk).first()
        if current is not None:
            locked.status = current.status
        raise ValidationError(_taken_message(locked), code="state")
    for name, value in fields.items():
        setattr(locked, name, value)
    return before


def _format_time(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"{local.year}/{local.month}/{local.day} {local:%H:%M:%S}"


_CLAIM_UPSERT = (
    "INSERT INTO review_reviewclaim (candidate_id, reviewer_id, expires_at) VALUES (%s, %s, %s) "
    "ON CONFLICT (candidate_id) DO UPDATE "
    "SET reviewer_id = excluded.reviewer_id, expires_at = excluded.expires_at "
    "WHERE review_reviewclaim.reviewer_id = excluded.reviewer_id "
    "OR review_reviewclaim.expires_at <= %s"
)
assert ReviewClaim._meta.db_table == "review_reviewclaim"


def _claim_upsert(*, candidate_id: int, reviewer_id: int, now: dt.datetime) -> bool:
    """Takes or extends the claim on a candidate for CLAIM_MINUTES in ONE statement, unless
    another reviewer holds an unexpired one: an insert that, on conflict, updates the row
    only when it is the caller's or has expired. True when the claim is now the caller's.
    (Django's `bulk_create(update_conflicts=True)` cannot put a condition on the update.)
    Works on PostgreSQL and SQLite alike."""
    until = now + dt.timedelta(minutes=CLAIM_MINUTES)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_UPSERT, [candidate_id, reviewer_id, adapt(until), adapt(now)])
        return cursor.rowcount == 1


def _take_claim(*, candidate: Candidate, by, now: dt.datetime) -> None:
    """Inside a decision (candidate row locked): the claim becomes or stays the caller's, or
    the decision is refused with who holds it (the same message as `_check_claim`)."""
    for _attempt in range(2):
        if _claim_upsert(candidate_id=candidate.pk, reviewer_id=by.pk, now=now):
            return
        _check_claim(candidate=candidate, by=by, now=now)  # raises while someone holds it
    raise ValidationError(_("该考生正由其他审核员审核，请稍后再试。"), code="claimed")
