"""The one door of the candidate state machine: `candidate_transition` performs any
transition of review.transitions.TABLE.

Modelled on pretalx's `set_submission_state`: one function locks the candidate, finds the
transition for the verb and the state it found, checks who acts (scope, level, claim), runs
the checks of that transition, writes the change as a conditional update, the audit row
(and the 审核意见 or internal note), the per-site count, and the SMS, in one transaction.
The SMS row is written in the transaction and sent after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus, ReviewLevel, SubmitMode
from accounts.models import Candidate
from materials.enums import ImageStatus
from materials.models import PHOTO_ORDER, MaterialCategory
from materials.rules import upload_window_state
from materials.selectors import current_images, missing_required_categories
from notifications.sms import sms_send

from .. import transitions
from ..models import Feedback, ReviewNote, SiteStatusCount
from ..transitions import Transition
from ._base import (
    Actor,
    applicable_categories,
    event_create,
    format_time,
    lock_candidate,
    names,
    staff_check,
    status_label,
    taken_message,
)


@dataclass(frozen=True)
class CategoryItem:
    """A return of a whole category, e.g. a required document that is missing altogether."""

    category: MaterialCategory
    reason: str


class Refused(ValidationError):
    """A transition that does not apply to the candidate as it is: the candidate is left as
    it was. The system's own transitions (auto-submit, deadline submit) treat it as «not
    now» and say nothing."""


@dataclass(frozen=True)
class Transitioned:
    """What a transition did: the candidate (as stored), the row of the table it took, and
    whether an SMS to the candidate was queued (none without a phone number)."""

    candidate: Candidate
    transition: Transition
    sms_queued: bool


@dataclass
class Change:
    """What a transition's checks decided to write besides the status."""

    fields: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    sms_context: dict = field(default_factory=dict)
    target: str = ""


def candidate_transition(
    *,
    candidate: Candidate,
    verb: str,
    by=None,
    ip: str | None = None,
    expected_status: str | None = None,
    message: str = "",
    category_items: Sequence[CategoryItem] = (),
    now: dt.datetime | None = None,
) -> Transitioned:
    """Takes the transition `verb` ("submit", "site_pass", "return", "reject", ... : see
    review.transitions.TABLE) from the candidate's current state. `by` is the staff user
    for the staff transitions; `expected_status` the state the reviewer saw (a decision on a
    candidate that moved on meanwhile is refused); `message` the reviewer's explanation (the
    reason of a rejection). Refusals are ValidationErrors with a message for the user and
    change nothing; a candidate outside the staff member's scope is NotInScope. The
    caller's candidate is updated to what was stored."""
    if verb not in transitions.VERBS:
        raise ValueError(f"unknown transition {verb!r}")
    now = now or timezone.now()
    message = (message or "").strip()
    _precheck(verb, message)
    with transaction.atomic():
        locked = lock_candidate(candidate.pk)
        actor = None
        if verb in transitions.STAFF_VERBS:
            actor = staff_check(
                by=by, candidate=locked, verb=verb, expected_status=expected_status, now=now
            )
        row = transitions.transition_for(verb, locked.status)
        if row is None:
            raise _wrong_state(verb, locked)
        change = CHECKS[verb](locked, actor=actor, now=now, message=message, items=category_items)
        target = change.target or row.target
        before = locked.status
        written = {"status": target, "status_changed_at": now, "updated_at": now}
        written.update(change.fields)
        # Compare-and-swap on the status found under the lock: the lock makes it safe on
        # PostgreSQL; the condition keeps it safe where there are no row locks (SQLite).
        if Candidate.objects.filter(pk=locked.pk, status=before).update(**written) != 1:
            raise ValidationError(taken_message(locked), code="state")
        for name, value in written.items():
            setattr(locked, name, value)
        SiteStatusCount.objects.move(
            site_id=locked.site_id, province_id=locked.province_id, before=before, after=target
        )
        event = event_create(
            candidate=locked,
            action=row.action,
            actor=by if actor else None,
            actor_kind=row.actor,
            role=actor.role if actor else "",
            from_status=before,
            to_status=target,
            data=change.data,
            ip=ip,
        )
        _write_feedback(locked, row=row, actor=actor, by=by, message=message, data=change.data)
        sms_queued = bool(row.sms) and (
            sms_send(
                kind=row.sms,
                candidate=locked,
                event_key=f"review:{event.pk}",
                **change.sms_context,
            )
            is not None
        )
    # The whole row as stored (not only what was written): «…并下一位» goes on from it to
    # the next candidate of the queue without reading it again.
    for stored in Candidate._meta.concrete_fields:
        setattr(candidate, stored.attname, getattr(locked, stored.attname))
    return Transitioned(candidate=candidate, transition=row, sms_queued=sms_queued)


def _precheck(verb: str, message: str) -> None:
    """What is wrong with the request itself, before any row is read."""
    if verb == "reject" and not message:
        raise ValidationError(_("审核拒绝必须填写原因。"), code="reason")
    if verb == "return_to_site" and not message:
        raise ValidationError(_("请填写退回考点的说明。"), code="message")


def _wrong_state(verb: str, locked: Candidate) -> ValidationError:
    if verb == "submit":
        return Refused(
            _("材料已提交（当前状态：%(status)s），无需再次提交。")
            % {"status": status_label(locked.status)},
            code="state",
        )
    if verb == "resubmit":
        return Refused(
            _("当前状态（%(status)s）无需重新提交。") % {"status": status_label(locked.status)},
            code="state",
        )
    # The staff transitions were refused by staff_check already; the system's are quiet.
    return Refused(_("该考生当前状态不能执行此操作。"), code="state")


# --- the checks of each transition: refuse, or say what to write ---------------------------


def _submit(locked: Candidate, *, now: dt.datetime, **_kw) -> Change:
    province = locked.province
    if province.submit_mode != SubmitMode.EXPLICIT:
        raise Refused(_("本考区无需点击提交，必传材料上传齐全后将自动进入审核。"), code="mode")
    if not upload_window_state(locked, now).can_add:
        raise Refused(_("不在材料上传时间内，无法提交。"), code="window")
    missing = missing_required_categories(locked)
    if missing:
        raise Refused(
            _("以下必传材料尚未上传齐全：%(names)s。") % {"names": names(missing)},
            code="missing",
        )
    if not current_images(locked).exists():
        raise Refused(_("请先上传材料图片再提交。"), code="empty")
    return Change(fields={"submitted_at": now})


def _autosubmit(locked: Candidate, *, now: dt.datetime, **_kw) -> Change:
    """Auto-save provinces: in the site queue as soon as every required category holds its
    minimum."""
    if locked.province.submit_mode != SubmitMode.AUTO_SAVE:
        raise Refused(_("本考区需点击提交。"), code="mode")
    if missing_required_categories(locked) or not current_images(locked).exists():
        raise Refused(_("必传材料尚未上传齐全。"), code="missing")
    return Change(fields={"submitted_at": now})


def _deadline_submit(locked: Candidate, *, now: dt.datetime, **_kw) -> Change:
    """The window has closed: a DRAFT with at least one current photo is submitted."""
    closes_at = locked.province.closes_at
    if closes_at is None or closes_at > now:
        raise Refused(_("上传时间尚未截止。"), code="window")
    if not current_images(locked).exists():
        raise Refused(_("没有已上传的图片。"), code="empty")
    return Change(fields={"submitted_at": now})


def _resubmit(locked: Candidate, *, now: dt.datetime, **_kw) -> Change:
    if locked.reply_deadline is not None and now >= locked.reply_deadline:
        raise Refused(
            _("已超过修改截止时间（%(deadline)s），无法重新提交。")
            % {"deadline": format_time(locked.reply_deadline)},
            code="deadline",
        )
    still_returned = list(
        MaterialCategory.objects.filter(
            Exists(
                current_images(locked).filter(category=OuterRef("pk"), status=ImageStatus.RETURNED)
            )
        ).order_by("order", "id")
    )
    if still_returned:
        raise Refused(
            _("以下材料仍有被退回的图片，请删除或重新上传后再提交：%(names)s。")
            % {"names": names(still_returned)},
            code="returned",
        )
    # A category returned as a whole ("缺少首次注册证明") needs a new photo.
    feedback = (
        Feedback.objects.filter(candidate=locked, action__in=_RETURN_ACTIONS)
        .order_by("-created_at", "-id")
        .first()
    )
    wanted = {
        item.get("category_id")
        for item in (feedback.items if feedback else [])
        if not item.get("image_id") and item.get("category_id")
    }
    if wanted:
        have = set(
            current_images(locked)
            .filter(category_id__in=wanted, status=ImageStatus.PENDING)
            .values_list("category_id", flat=True)
        )
        lacking = MaterialCategory.objects.filter(pk__in=wanted - have).order_by("order", "id")
        if lacking:
            raise Refused(
                _("请按审核意见补充上传：%(names)s。") % {"names": names(lacking)},
                code="missing",
            )
    missing = missing_required_categories(locked)
    if missing:
        raise Refused(
            _("以下必传材料尚未上传齐全：%(names)s。") % {"names": names(missing)},
            code="missing",
        )
    if locked.returned_by == ReviewLevel.PROVINCE and locked.province.resubmit_to_returning_level:
        target = CandidateStatus.SITE_PASSED
    else:
        target = CandidateStatus.SUBMITTED
    # returned_by stays: it marks the candidate as returned-and-resubmitted in the queue.
    return Change(
        fields={"returned_categories": [], "reply_deadline": None, "submitted_at": now},
        data={"returned_by": locked.returned_by},
        target=target,
    )


def unfinished_categories(candidate: Candidate) -> list[MaterialCategory]:
    """Why a candidate cannot pass: the applicable categories in which a current photo is
    still PENDING or RETURNED, and the required ones holding fewer APPROVED photos than their
    minimum (at least one)."""
    counts: dict[int, dict[str, int]] = {}
    for category_id, status in current_images(candidate).values_list("category_id", "status"):
        counts.setdefault(category_id, {}).setdefault(status, 0)
        counts[category_id][status] += 1
    bad = []
    for category in applicable_categories(candidate):
        c = counts.get(category.pk, {})
        undecided = c.get(ImageStatus.PENDING, 0) + c.get(ImageStatus.RETURNED, 0)
        short = category.required and c.get(ImageStatus.APPROVED, 0) < max(category.min_count, 1)
        if undecided or short:
            bad.append(category)
    return bad


def _complete(locked: Candidate, *, actor: Actor, message: str, **_kw) -> Change:
    """考点通过 and 审核通过: only when every photo is approved."""
    bad = unfinished_categories(locked)
    if bad:
        raise Refused(
            _("以下材料尚未全部审核通过：%(names)s。请先逐张审核，或退回考生。")
            % {"names": names(bad)},
            code="incomplete",
        )
    return Change(data={"level": actor.level, "message": message})


def _return(
    locked: Candidate,
    *,
    actor: Actor,
    now: dt.datetime,
    message: str,
    items: Sequence[CategoryItem],
    **_kw,
) -> Change:
    """退回 to the candidate: needs at least one returned photo or one category item; unlocks
    exactly those categories until the reply deadline."""
    province = locked.province
    returned = (
        current_images(locked)
        .filter(status=ImageStatus.RETURNED)
        .select_related("category")
        .order_by("category__order", "category_id", *PHOTO_ORDER)
    )
    rows = [
        {
            "category": img.category.name,
            "category_id": img.category_id,
            "image_id": img.pk,
            "reason": img.return_reason,
        }
        for img in returned
    ]
    for item in items:
        reason = (item.reason or "").strip()
        if not reason:
            raise Refused(_("请填写退回原因。"), code="reason")
        if item.category.province_id not in (None, province.pk):
            raise Refused(_("材料类别不属于本考区。"), code="category")
        rows.append(
            {
                "category": item.category.name,
                "category_id": item.category.pk,
                "image_id": None,
                "reason": reason,
            }
        )
    if not rows:
        raise Refused(_("退回考生前，请至少退回一张图片或指明需补充的材料。"), code="nothing")
    deadline = now + dt.timedelta(hours=province.reply_hours)
    return Change(
        fields={
            "returned_by": actor.level,
            "returned_categories": sorted({row["category_id"] for row in rows}),
            "reply_deadline": deadline,
        },
        data={
            "level": actor.level,
            "message": message,
            "items": rows,
            "reply_deadline": deadline.isoformat(),
        },
        sms_context={"hours": province.reply_hours, "deadline": deadline},
    )


def _return_to_site(locked: Candidate, *, actor: Actor, message: str, **_kw) -> Change:
    return Change(data={"level": actor.level, "message": message})


def _reject(locked: Candidate, *, actor: Actor, message: str, **_kw) -> Change:
    fields = {}
    if locked.status == CandidateStatus.RETURNED:
        fields = {"returned_categories": [], "reply_deadline": None}
    return Change(fields=fields, data={"level": actor.level, "reason": message})


def _write_feedback(
    locked: Candidate, *, row: Transition, actor: Actor | None, by, message: str, data: dict
) -> None:
    """The 审核意见 the candidate reads (returns, rejections), or the site's internal note
    (the province's return to the site)."""
    if row.verb in ("return", "reject"):
        Feedback.objects.create(
            candidate=locked,
            level=actor.level,
            author=by,
            action=row.action,
            message=message,
            items=data["items"] if row.verb == "return" else [],
        )
    elif row.verb == "return_to_site":
        ReviewNote.objects.create(candidate=locked, author=by, text=_("【考区退回考点】") + message)


_RETURN_ACTIONS = tuple(t.action for t in transitions.TABLE if t.verb == "return")

CHECKS = {
    "submit": _submit,
    "autosubmit": _autosubmit,
    "deadline_submit": _deadline_submit,
    "resubmit": _resubmit,
    "site_pass": _complete,
    "approve": _complete,
    "return": _return,
    "return_to_site": _return_to_site,
    "reject": _reject,
}
