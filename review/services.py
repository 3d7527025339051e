"""Every change of a candidate's review state, and every decision on a photo, happens here,
in exactly one function each. Each function checks who acts (role and scope), locks the
candidate row (`select_for_update` inside `transaction.atomic`) and checks the state it found
there, so that of two reviewers acting at once one wins and the other is told clearly; writes
the change and its ReviewEvent in the same transaction; and creates the SMS row in that
transaction too (it is sent after commit, once, keyed by the event).

Who may act at which level (kept deliberately simple):

- a site reviewer (考点审核员) acts at site level, on SUBMITTED candidates of their site;
- a province reviewer (考区审核员) acts at province level, on SITE_PASSED candidates of
  their province;
- operators (考区管理员, their province) and national staff (everything) may stand in for
  either level: they act at the level the candidate's state calls for (SUBMITTED → site,
  SITE_PASSED → province). Their role is recorded in the audit row.

Rejection (审核拒绝) is also allowed on a RETURNED candidate, by the level that returned it.

SMS: one per candidate decision that concerns the candidate — a return to the candidate,
the final approval, a rejection. The site pass (考点通过) and the province's return to the
site are internal steps and send nothing; per-photo decisions send nothing either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus, ReviewLevel, StaffRole, SubmitMode
from accounts.models import Candidate, StaffProfile
from accounts.selectors import staff_can_see_candidate, staff_profile_of
from materials.enums import ImageStatus, ProcessingState
from materials.models import MaterialCategory, MaterialImage

from .enums import ActorKind, EventAction
from .models import Feedback, ReturnReason, ReviewClaim, ReviewEvent, ReviewNote

# How long opening a candidate keeps it for one reviewer; every action extends it.
CLAIM_MINUTES = 5
# Candidates handled per transaction by the deadline sweep.
DEADLINE_BATCH = 500
# A reminder goes out when this little time is left to reply.
REMINDER_HOURS = 6

REVIEW_STATES = (CandidateStatus.SUBMITTED, CandidateStatus.SITE_PASSED)


# --- small helpers -------------------------------------------------------------------------


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


def _lock(candidate: Candidate) -> Candidate:
    """The candidate row, locked for the rest of the transaction, with its current state."""
    try:
        locked = (
            Candidate.objects.select_for_update(of=("self",))
            .select_related("province")
            .get(pk=candidate.pk)
        )
    except Candidate.DoesNotExist:
        raise ValidationError(_("该考生不存在。"), code="gone") from None
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


# --- who may act ---------------------------------------------------------------------------


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
        raise PermissionDenied(_("您无权审核该考生。"))
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
) -> Actor:
    """Checks, on the LOCKED candidate, that `by` may act on it now and at which level.
    Scope failures are PermissionDenied; a state that moved on (another reviewer was faster)
    or a claim held by someone else is a ValidationError with a clear message."""
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
    _check_claim(candidate=candidate, by=by, now=now or timezone.now())
    return Actor(user=by, profile=profile, level=level)


def _check_claim(*, candidate: Candidate, by, now: dt.datetime) -> None:
    claim = (
        ReviewClaim.objects.filter(candidate_id=candidate.pk, expires_at__gt=now)
        .exclude(reviewer_id=by.pk)
        .select_related("reviewer")
        .first()
    )
    if claim is not None:
        raise ValidationError(
            _("该考生正由审核员 %(user)s 审核（至 %(until)s），请稍后再试。")
            % {
                "user": claim.reviewer.get_full_name() or claim.reviewer.get_username(),
                "until": timezone.localtime(claim.expires_at).strftime("%H:%M"),
            },
            code="claimed",
        )


def _release_claim(candidate: Candidate) -> None:
    ReviewClaim.objects.filter(candidate_id=candidate.pk).delete()


# --- candidate-side transitions ------------------------------------------------------------


def candidate_submit(*, candidate: Candidate, ip: str | None = None) -> Candidate:
    """提交审核 (explicit-submit provinces): DRAFT → SUBMITTED, everything locks."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        province = locked.province
        if locked.status != CandidateStatus.DRAFT:
            raise ValidationError(
                _("材料已提交（当前状态：%(status)s），无需再次提交。")
                % {"status": _status_label(locked.status)},
                code="state",
            )
        if province.submit_mode != SubmitMode.EXPLICIT:
            raise ValidationError(
                _("本考区无需点击提交，必传材料上传齐全后将自动进入审核。"), code="mode"
            )
        if not _window_open(province, now):
            raise ValidationError(_("不在材料上传时间内，无法提交。"), code="window")
        missing = _missing_required(locked)
        if missing:
            raise ValidationError(
                _("以下必传材料尚未上传齐全：%(names)s。") % {"names": _names(missing)},
                code="missing",
            )
        if not _current_images(locked).exists():
            raise ValidationError(_("请先上传材料图片再提交。"), code="empty")
        _to_submitted(locked, now=now)
        _event(
            candidate=locked,
            action=EventAction.SUBMIT,
            actor_kind=ActorKind.CANDIDATE,
            from_status=CandidateStatus.DRAFT,
            to_status=CandidateStatus.SUBMITTED,
            ip=ip,
        )
    _sync(candidate, locked, ("status", "submitted_at", "status_changed_at"))
    return candidate


def _to_submitted(locked: Candidate, *, now: dt.datetime) -> None:
    locked.status = CandidateStatus.SUBMITTED
    locked.submitted_at = now
    locked.status_changed_at = now
    locked.save(update_fields=["status", "submitted_at", "status_changed_at", "updated_at"])


def candidate_autosubmit(*, candidate: Candidate) -> bool:
    """Auto-save provinces: a DRAFT candidate enters the site queue as soon as every required
    category holds its minimum. A no-op otherwise; safe to call after every change."""
    if candidate.province.submit_mode != SubmitMode.AUTO_SAVE:
        return False
    if candidate.status != CandidateStatus.DRAFT:
        return False
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        if locked.status != CandidateStatus.DRAFT:
            return False
        if locked.province.submit_mode != SubmitMode.AUTO_SAVE:
            return False
        if _missing_required(locked) or not _current_images(locked).exists():
            return False
        _to_submitted(locked, now=now)
        _event(
            candidate=locked,
            action=EventAction.AUTO_SUBMIT,
            actor_kind=ActorKind.SYSTEM,
            from_status=CandidateStatus.DRAFT,
            to_status=CandidateStatus.SUBMITTED,
        )
    _sync(candidate, locked, ("status", "submitted_at", "status_changed_at"))
    return True


def _return_feedback(candidate: Candidate) -> Feedback | None:
    return (
        Feedback.objects.filter(
            candidate=candidate,
            action__in=(EventAction.SITE_RETURN, EventAction.PROVINCE_RETURN),
        )
        .order_by("-created_at", "-id")
        .first()
    )


def candidate_resubmit(*, candidate: Candidate, ip: str | None = None) -> Candidate:
    """重新提交 after a return: RETURNED → the level that returned it (SUBMITTED for the site,
    SITE_PASSED for the province), or SUBMITTED when the province has switched
    `resubmit_to_returning_level` off. Approved photos stay approved and are not reviewed
    again."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        if locked.status != CandidateStatus.RETURNED:
            raise ValidationError(
                _("当前状态（%(status)s）无需重新提交。")
                % {"status": _status_label(locked.status)},
                code="state",
            )
        if locked.reply_deadline is not None and now >= locked.reply_deadline:
            raise ValidationError(
                _("已超过修改截止时间（%(deadline)s），无法重新提交。")
                % {"deadline": _format_time(locked.reply_deadline)},
                code="deadline",
            )
        still_returned = list(
            MaterialCategory.objects.filter(
                Exists(
                    _current_images(locked).filter(
                        category=OuterRef("pk"), status=ImageStatus.RETURNED
                    )
                )
            ).order_by("order", "id")
        )
        if still_returned:
            raise ValidationError(
                _("以下材料仍有被退回的图片，请删除或重新上传后再提交：%(names)s。")
                % {"names": _names(still_returned)},
                code="returned",
            )
        # A category returned as a whole ("缺少首次注册证明") needs a new photo.
        feedback = _return_feedback(locked)
        wanted = {
            item.get("category_id")
            for item in (feedback.items if feedback else [])
            if not item.get("image_id") and item.get("category_id")
        }
        if wanted:
            have = set(
                _current_images(locked)
                .filter(category_id__in=wanted, status=ImageStatus.PENDING)
                .values_list("category_id", flat=True)
            )
            lacking = MaterialCategory.objects.filter(pk__in=wanted - have).order_by("order", "id")
            if lacking:
                raise ValidationError(
                    _("请按审核意见补充上传：%(names)s。") % {"names": _names(lacking)},
                    code="missing",
                )
        missing = _missing_required(locked)
        if missing:
            raise ValidationError(
                _("以下必传材料尚未上传齐全：%(names)s。") % {"names": _names(missing)},
                code="missing",
            )
        if (
            locked.returned_by == ReviewLevel.PROVINCE
            and locked.province.resubmit_to_returning_level
        ):
            target = CandidateStatus.SITE_PASSED
        else:
            target = CandidateStatus.SUBMITTED
        # returned_by stays: it marks the candidate as returned-and-resubmitted in the queue.
        locked.status = target
        locked.returned_categories = []
        locked.reply_deadline = None
        locked.submitted_at = now
        locked.status_changed_at = now
        locked.save(
            update_fields=[
                "status",
                "returned_categories",
                "reply_deadline",
                "submitted_at",
                "status_changed_at",
                "updated_at",
            ]
        )
        _event(
            candidate=locked,
            action=EventAction.RESUBMIT,
            actor_kind=ActorKind.CANDIDATE,
            from_status=CandidateStatus.RETURNED,
            to_status=target,
            data={"returned_by": locked.returned_by},
            ip=ip,
        )
    _sync(
        candidate,
        locked,
        ("status", "returned_categories", "reply_deadline", "submitted_at", "status_changed_at"),
    )
    return candidate


def _format_time(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"{local.year}/{local.month}/{local.day} {local:%H:%M:%S}"


def _deadline_submit_ids(ids: Sequence[int], *, now: dt.datetime) -> int:
    """The window is closed: each DRAFT candidate among `ids` with at least one current photo
    becomes SUBMITTED (locked). One transaction; rows already moved on are skipped."""
    if not ids:
        return 0
    with_photo = MaterialImage.objects.filter(candidate=OuterRef("pk"), removed_at__isnull=True)
    with transaction.atomic():
        rows = list(
            Candidate.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, status=CandidateStatus.DRAFT)
            .filter(Exists(with_photo))
            .values_list("pk", "province__closes_at")
        )
        due = [pk for pk, closes_at in rows if closes_at is not None and closes_at <= now]
        if not due:
            return 0
        Candidate.objects.filter(pk__in=due, status=CandidateStatus.DRAFT).update(
            status=CandidateStatus.SUBMITTED,
            submitted_at=now,
            status_changed_at=now,
            updated_at=now,
        )
        ReviewEvent.objects.bulk_create(
            [
                ReviewEvent(
                    candidate_id=pk,
                    actor_kind=ActorKind.SYSTEM,
                    action=EventAction.DEADLINE_SUBMIT,
                    from_status=CandidateStatus.DRAFT,
                    to_status=CandidateStatus.SUBMITTED,
                )
                for pk in due
            ]
        )
    return len(due)


def candidate_deadline_submit(*, candidate: Candidate, now: dt.datetime | None = None) -> bool:
    """At the province's closes_at a DRAFT with at least one photo is submitted and locked.
    Idempotent: a candidate already submitted, or without photos, is left alone."""
    now = now or timezone.now()
    done = _deadline_submit_ids([candidate.pk], now=now)
    if done:
        candidate.refresh_from_db(fields=["status", "submitted_at", "status_changed_at"])
    return bool(done)


def candidates_close_windows(*, now: dt.datetime | None = None, batch: int = DEADLINE_BATCH) -> int:
    """The periodic sweep behind `review.close_upload_windows`: every province whose window
    has closed, in batches of `batch` candidates (keyset by id). Safe to run any number of
    times and concurrently (the row lock and the status filter decide)."""
    from accounts.models import Province

    now = now or timezone.now()
    total = 0
    with_photo = MaterialImage.objects.filter(candidate=OuterRef("pk"), removed_at__isnull=True)
    for province_id in Province.objects.filter(closes_at__lte=now).values_list("pk", flat=True):
        last = 0
        while True:
            ids = list(
                Candidate.objects.filter(
                    province_id=province_id, status=CandidateStatus.DRAFT, pk__gt=last
                )
                .filter(Exists(with_photo))
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            total += _deadline_submit_ids(ids, now=now)
            last = ids[-1]
    return total


# --- per-photo decisions -------------------------------------------------------------------


def _lock_image(*, image: MaterialImage, candidate: Candidate) -> MaterialImage:
    try:
        locked = (
            MaterialImage.objects.select_for_update(of=("self",))
            .select_related("category")
            .get(pk=image.pk, candidate_id=candidate.pk)
        )
    except MaterialImage.DoesNotExist:
        raise ValidationError(_("该图片已被考生删除，请刷新后查看。"), code="gone") from None
    if locked.removed_at is not None:
        raise ValidationError(_("该图片已被考生替换，请刷新后查看。"), code="gone")
    return locked


def image_approve(
    *,
    image: MaterialImage,
    by,
    ip: str | None = None,
    expected_status: str | None = None,
) -> MaterialImage:
    """A reviewer approves a photo: it locks and shows ✓ to the candidate. No SMS."""
    now = timezone.now()
    with transaction.atomic():
        candidate = _lock(image.candidate)
        actor = _reviewer(by=by, candidate=candidate, expected_status=expected_status, now=now)
        locked = _lock_image(image=image, candidate=candidate)
        if locked.processing != ProcessingState.READY:
            # Nobody approves a photo they could not look at.
            raise ValidationError(_("图片尚在处理中或处理失败，不能审核通过。"), code="processing")
        if locked.status != ImageStatus.APPROVED:
            before = locked.status
            locked.status = ImageStatus.APPROVED
            locked.return_reason = ""
            locked.decided_by = by
            locked.decided_at = now
            locked.save(update_fields=["status", "return_reason", "decided_by", "decided_at"])
            _event(
                candidate=candidate,
                image=locked,
                action=EventAction.IMAGE_APPROVE,
                actor=by,
                role=actor.role,
                data={"level": actor.level, "before": before, "category": locked.category.name},
                ip=ip,
            )
        _extend_claim(candidate=candidate, by=by, now=now)
    _sync(image, locked, ("status", "return_reason", "decided_by_id", "decided_at"))
    return image


def _compose_reason(*, reason: ReturnReason | str | None, text: str, province) -> str:
    """A standard reason of the province (or a national one) plus optional free text."""
    standard = ""
    if isinstance(reason, ReturnReason):
        if not reason.is_active or reason.province_id not in (None, province.pk):
            raise ValidationError(_("请选择本考区的标准退回原因。"), code="reason")
        standard = reason.text
    elif reason:
        standard = str(reason).strip()
    text = (text or "").strip()
    if not standard and not text:
        raise ValidationError(_("请选择退回原因。"), code="reason")
    if standard and text:
        return f"{standard}：{text}"
    return standard or text


def image_return(
    *,
    image: MaterialImage,
    by,
    reason: ReturnReason | str | None,
    text: str = "",
    ip: str | None = None,
    expected_status: str | None = None,
) -> MaterialImage:
    """A reviewer returns a photo with a reason (a standard reason plus optional free text).
    It is unlocked for the candidate once the candidate is returned. No SMS."""
    now = timezone.now()
    with transaction.atomic():
        candidate = _lock(image.candidate)
        actor = _reviewer(by=by, candidate=candidate, expected_status=expected_status, now=now)
        full = _compose_reason(reason=reason, text=text, province=candidate.province)
        locked = _lock_image(image=image, candidate=candidate)
        before = locked.status
        locked.status = ImageStatus.RETURNED
        locked.return_reason = full[:1000]
        locked.decided_by = by
        locked.decided_at = now
        locked.save(update_fields=["status", "return_reason", "decided_by", "decided_at"])
        _event(
            candidate=candidate,
            image=locked,
            action=EventAction.IMAGE_RETURN,
            actor=by,
            role=actor.role,
            data={
                "level": actor.level,
                "before": before,
                "reason": locked.return_reason,
                "category": locked.category.name,
            },
            ip=ip,
        )
        _extend_claim(candidate=candidate, by=by, now=now)
    _sync(image, locked, ("status", "return_reason", "decided_by_id", "decided_at"))
    return image


def images_approve_remaining(
    *,
    candidate: Candidate,
    by,
    ip: str | None = None,
    expected_status: str | None = None,
) -> int:
    """ "全部通过": every current PENDING photo of the candidate is approved at once."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        actor = _reviewer(by=by, candidate=locked, expected_status=expected_status, now=now)
        pending = list(
            _current_images(locked)
            .filter(status=ImageStatus.PENDING, processing=ProcessingState.READY)
            .select_for_update(of=("self",))
            .select_related("category")
            .order_by("pk")
        )
        if not pending:
            return 0
        MaterialImage.objects.filter(pk__in=[i.pk for i in pending]).update(
            status=ImageStatus.APPROVED, return_reason="", decided_by=by, decided_at=now
        )
        ReviewEvent.objects.bulk_create(
            [
                ReviewEvent(
                    candidate=locked,
                    image=img,
                    actor_kind=ActorKind.STAFF,
                    actor=by,
                    role=actor.role,
                    action=EventAction.IMAGE_APPROVE,
                    data={
                        "level": actor.level,
                        "before": ImageStatus.PENDING,
                        "category": img.category.name,
                        "bulk": True,
                    },
                    ip_address=ip or None,
                )
                for img in pending
            ]
        )
        _extend_claim(candidate=locked, by=by, now=now)
    return len(pending)


# --- candidate decisions -------------------------------------------------------------------


def _unfinished_categories(candidate: Candidate) -> list[MaterialCategory]:
    """Why a candidate cannot pass: the applicable categories in which a current photo is
    still PENDING or RETURNED, and the required ones holding fewer APPROVED photos than their
    minimum (at least one)."""
    categories = _applicable_categories(candidate)
    counts: dict[int, dict[str, int]] = {}
    for category_id, status in _current_images(candidate).values_list("category_id", "status"):
        counts.setdefault(category_id, {}).setdefault(status, 0)
        counts[category_id][status] += 1
    bad = []
    for category in categories:
        c = counts.get(category.pk, {})
        undecided = c.get(ImageStatus.PENDING, 0) + c.get(ImageStatus.RETURNED, 0)
        short = category.required and c.get(ImageStatus.APPROVED, 0) < max(category.min_count, 1)
        if undecided or short:
            bad.append(category)
    return bad


def _require_complete(candidate: Candidate) -> None:
    bad = _unfinished_categories(candidate)
    if bad:
        raise ValidationError(
            _("以下材料尚未全部审核通过：%(names)s。请先逐张审核，或退回考生。")
            % {"names": _names(bad)},
            code="incomplete",
        )


def _move(
    locked: Candidate,
    *,
    to: str,
    now: dt.datetime,
    extra: dict | None = None,
) -> str:
    before = locked.status
    locked.status = to
    locked.status_changed_at = now
    fields = ["status", "status_changed_at", "updated_at"]
    for name, value in (extra or {}).items():
        setattr(locked, name, value)
        fields.append(name)
    locked.save(update_fields=fields)
    return before


def candidate_site_pass(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """考点通过: SUBMITTED → SITE_PASSED, only when every photo is approved (see
    `_unfinished_categories`). Internal step: no SMS."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        actor = _reviewer(
            by=by,
            candidate=locked,
            levels=(ReviewLevel.SITE,),
            expected_status=expected_status,
            now=now,
        )
        _require_complete(locked)
        before = _move(locked, to=CandidateStatus.SITE_PASSED, now=now)
        _event(
            candidate=locked,
            action=EventAction.SITE_PASS,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={"level": actor.level, "message": message.strip()},
            ip=ip,
        )
        _release_claim(locked)
    _sync(candidate, locked, ("status", "status_changed_at"))
    return candidate


@dataclass(frozen=True)
class CategoryItem:
    """A return of a whole category, e.g. a required document that is missing altogether."""

    category: MaterialCategory
    reason: str


def candidate_return(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    category_items: Sequence[CategoryItem] = (),
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """退回 to the candidate, by the site (SUBMITTED) or the province (SITE_PASSED). Needs at
    least one returned photo or one category item. Unlocks exactly those categories until
    the reply deadline, writes the 审核意见 and sends the return SMS."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        actor = _reviewer(by=by, candidate=locked, expected_status=expected_status, now=now)
        province = locked.province
        returned = list(
            _current_images(locked)
            .filter(status=ImageStatus.RETURNED)
            .select_related("category")
            .order_by("category__order", "category_id", "uploaded_at", "pk")
        )
        items = [
            {
                "category": img.category.name,
                "category_id": img.category_id,
                "image_id": img.pk,
                "reason": img.return_reason,
            }
            for img in returned
        ]
        for item in category_items:
            reason = (item.reason or "").strip()
            if not reason:
                raise ValidationError(_("请填写退回原因。"), code="reason")
            if item.category.province_id not in (None, province.pk):
                raise ValidationError(_("材料类别不属于本考区。"), code="category")
            items.append(
                {
                    "category": item.category.name,
                    "category_id": item.category.pk,
                    "image_id": None,
                    "reason": reason,
                }
            )
        if not items:
            raise ValidationError(
                _("退回考生前，请至少退回一张图片或指明需补充的材料。"), code="nothing"
            )
        categories = sorted({item["category_id"] for item in items})
        deadline = now + dt.timedelta(hours=province.reply_hours)
        action = (
            EventAction.SITE_RETURN
            if actor.level == ReviewLevel.SITE
            else EventAction.PROVINCE_RETURN
        )
        before = _move(
            locked,
            to=CandidateStatus.RETURNED,
            now=now,
            extra={
                "returned_by": actor.level,
                "returned_categories": categories,
                "reply_deadline": deadline,
            },
        )
        Feedback.objects.create(
            candidate=locked,
            level=actor.level,
            author=by,
            action=action,
            message=message.strip(),
            items=items,
        )
        event = _event(
            candidate=locked,
            action=action,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={
                "level": actor.level,
                "message": message.strip(),
                "items": items,
                "reply_deadline": deadline.isoformat(),
            },
            ip=ip,
        )
        _release_claim(locked)
        from notifications.enums import NotificationPurpose

        _sms(
            candidate=locked,
            template=province.sms_return_text,
            purpose=NotificationPurpose.RETURN,
            event_key=f"review:{event.pk}",
            hours=province.reply_hours,
            deadline=deadline,
        )
    _sync(
        candidate,
        locked,
        ("status", "status_changed_at", "returned_by", "returned_categories", "reply_deadline"),
    )
    return candidate


def candidate_return_to_site(
    *,
    candidate: Candidate,
    by,
    message: str,
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """The province sends a passed candidate back to the site: SITE_PASSED → SUBMITTED, with
    a note to the site (kept as an internal ReviewNote). Internal: no SMS, no 审核意见."""
    now = timezone.now()
    message = (message or "").strip()
    if not message:
        raise ValidationError(_("请填写退回考点的说明。"), code="message")
    with transaction.atomic():
        locked = _lock(candidate)
        actor = _reviewer(
            by=by,
            candidate=locked,
            levels=(ReviewLevel.PROVINCE,),
            expected_status=expected_status,
            now=now,
        )
        before = _move(locked, to=CandidateStatus.SUBMITTED, now=now)
        ReviewNote.objects.create(candidate=locked, author=by, text=_("【考区退回考点】") + message)
        _event(
            candidate=locked,
            action=EventAction.PROVINCE_RETURN_TO_SITE,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={"level": actor.level, "message": message},
            ip=ip,
        )
        _release_claim(locked)
    _sync(candidate, locked, ("status", "status_changed_at"))
    return candidate


def candidate_approve(
    *,
    candidate: Candidate,
    by,
    message: str = "",
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """审核通过 (province): SITE_PASSED → APPROVED, final; the result SMS."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(candidate)
        actor = _reviewer(
            by=by,
            candidate=locked,
            levels=(ReviewLevel.PROVINCE,),
            expected_status=expected_status,
            now=now,
        )
        _require_complete(locked)
        before = _move(locked, to=CandidateStatus.APPROVED, now=now)
        event = _event(
            candidate=locked,
            action=EventAction.PROVINCE_APPROVE,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={"level": actor.level, "message": message.strip()},
            ip=ip,
        )
        _release_claim(locked)
        from notifications.enums import NotificationPurpose

        _sms(
            candidate=locked,
            template=locked.province.sms_approved_text,
            purpose=NotificationPurpose.RESULT,
            event_key=f"review:{event.pk}",
        )
    _sync(candidate, locked, ("status", "status_changed_at"))
    return candidate


def candidate_reject(
    *,
    candidate: Candidate,
    by,
    reason: str,
    ip: str | None = None,
    expected_status: str | None = None,
) -> Candidate:
    """审核拒绝: from SUBMITTED (site level), SITE_PASSED (province level) or RETURNED (the
    level that returned it) → REJECTED, final. The reason is required and shown to the
    candidate as 审核意见; the result SMS."""
    now = timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("审核拒绝必须填写原因。"), code="reason")
    with transaction.atomic():
        locked = _lock(candidate)
        if locked.status == CandidateStatus.RETURNED:
            profile = _profile_for(by, locked)
            if expected_status and locked.status != expected_status:
                raise ValidationError(_taken_message(locked), code="state")
            level = locked.returned_by or ReviewLevel.SITE
            if not _can_act_at(profile, level):
                raise ValidationError(_not_your_turn(locked), code="state")
            _check_claim(candidate=locked, by=by, now=now)
            actor = Actor(user=by, profile=profile, level=level)
        else:
            actor = _reviewer(by=by, candidate=locked, expected_status=expected_status, now=now)
        extra = {}
        if locked.status == CandidateStatus.RETURNED:
            extra = {"returned_categories": [], "reply_deadline": None}
        before = _move(locked, to=CandidateStatus.REJECTED, now=now, extra=extra)
        Feedback.objects.create(
            candidate=locked,
            level=actor.level,
            author=by,
            action=EventAction.REJECT,
            message=reason,
            items=[],
        )
        event = _event(
            candidate=locked,
            action=EventAction.REJECT,
            actor=by,
            role=actor.role,
            from_status=before,
            to_status=locked.status,
            data={"level": actor.level, "reason": reason},
            ip=ip,
        )
        _release_claim(locked)
        from notifications.enums import NotificationPurpose

        _sms(
            candidate=locked,
            template=locked.province.sms_rejected_text,
            purpose=NotificationPurpose.RESULT,
            event_key=f"review:{event.pk}",
        )
    _sync(
        candidate, locked, ("status", "status_changed_at", "returned_categories", "reply_deadline")
    )
    return candidate


# --- notes, claims, reminders --------------------------------------------------------------


def note_create(*, candidate: Candidate, by, text: str, ip: str | None = None) -> ReviewNote:
    """内部备注: among reviewers only, never shown to the candidate. Any staff member who can
    see the candidate may write one, in any state."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("备注内容不能为空。"), code="empty")
    profile = _profile_for(by, candidate)
    with transaction.atomic():
        note = ReviewNote.objects.create(candidate=candidate, author=by, text=text[:2000])
        _event(
            candidate=candidate,
            action=EventAction.NOTE,
            actor=by,
            role=profile.role,
            data={"note_id": note.pk},
            ip=ip,
        )
    return note


def claim_take(*, candidate: Candidate, by, now: dt.datetime | None = None) -> ReviewClaim | None:
    """Opening a candidate claims it for CLAIM_MINUTES, unless someone else holds an unexpired
    claim. Returns the claim in force (the caller's or the other reviewer's), or None when the
    candidate is not in a state the caller could act on. A conditional update, then an insert
    that loses cleanly to a concurrent one."""
    now = now or timezone.now()
    profile = _profile_for(by, candidate)
    level = _level_for_status(candidate.status)
    if level is None or not _can_act_at(profile, level):
        return ReviewClaim.objects.filter(candidate_id=candidate.pk, expires_at__gt=now).first()
    until = now + dt.timedelta(minutes=CLAIM_MINUTES)
    taken = (
        ReviewClaim.objects.filter(candidate_id=candidate.pk)
        .filter(Q(reviewer_id=by.pk) | Q(expires_at__lte=now))
        .update(reviewer_id=by.pk, expires_at=until)
    )
    if not taken:
        try:
            with transaction.atomic():
                ReviewClaim.objects.create(candidate_id=candidate.pk, reviewer=by, expires_at=until)
        except IntegrityError:
            pass
    return ReviewClaim.objects.select_related("reviewer").filter(candidate_id=candidate.pk).first()


def _extend_claim(*, candidate: Candidate, by, now: dt.datetime) -> None:
    until = now + dt.timedelta(minutes=CLAIM_MINUTES)
    updated = (
        ReviewClaim.objects.filter(candidate_id=candidate.pk)
        .filter(Q(reviewer_id=by.pk) | Q(expires_at__lte=now))
        .update(reviewer_id=by.pk, expires_at=until)
    )
    if not updated:
        # The candidate row is locked by our transaction, so no one else inserts meanwhile.
        ReviewClaim.objects.get_or_create(
            candidate_id=candidate.pk, defaults={"reviewer": by, "expires_at": until}
        )


def claim_release(*, candidate: Candidate, by) -> None:
    ReviewClaim.objects.filter(candidate_id=candidate.pk, reviewer_id=by.pk).delete()


def claims_purge_expired(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _rows = ReviewClaim.objects.filter(expires_at__lte=now).delete()
    return deleted


def reply_deadline_reminders_send(
    *, now: dt.datetime | None = None, within_hours: int = REMINDER_HOURS
) -> int:
    """A reminder SMS to every RETURNED candidate whose reply deadline falls within the next
    `within_hours` and who has not resubmitted. Once per return: the event key carries the
    deadline, which each return sets anew."""
    from notifications.enums import NotificationPurpose

    now = now or timezone.now()
    sent = 0
    qs = (
        Candidate.objects.filter(
            status=CandidateStatus.RETURNED,
            reply_deadline__gt=now,
            reply_deadline__lte=now + dt.timedelta(hours=within_hours),
        )
        .exclude(phone="")
        .select_related("province", "exam_year")
        .order_by("pk")
    )
    for candidate in qs.iterator(chunk_size=500):
        _sms(
            candidate=candidate,
            template=candidate.province.sms_reminder_text,
            purpose=NotificationPurpose.REMINDER,
            event_key=f"reminder:{candidate.pk}:{int(candidate.reply_deadline.timestamp())}",
            deadline=candidate.reply_deadline,
            hours=candidate.province.reply_hours,
        )
        sent += 1
    return sent
