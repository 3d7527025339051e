"""What the transition and the photo decisions share: the row lock, the check of who acts
(read from review.transitions), the claim, the audit row and the SMS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.enums import CandidateStatus
from accounts.models import Candidate, StaffProfile
from accounts.selectors import staff_can_see_candidate, staff_profile_of
from materials.models import MaterialCategory, MaterialImage
from materials.selectors import categories_for_candidate

from .. import transitions
from ..enums import ActorKind
from ..models import ReviewClaim, ReviewEvent

# How long opening a candidate keeps it for one reviewer; every action extends it.
CLAIM_MINUTES = ReviewClaim.MINUTES
# Candidates selected per query by the deadline sweep.
DEADLINE_BATCH = 500
# A reminder goes out when this little time is left to reply.
REMINDER_HOURS = 6

REVIEW_STATES = transitions.REVIEW_STATES


def status_label(status: str) -> str:
    return str(CandidateStatus(status).label) if status in CandidateStatus.values else status


def taken_message(candidate: Candidate) -> str:
    return _("该考生已被其他审核员处理（当前状态：%(status)s），请刷新后查看。") % {
        "status": status_label(candidate.status)
    }


def not_your_turn(candidate: Candidate) -> str:
    return _("该考生当前状态为「%(status)s」，不在您的审核环节。") % {
        "status": status_label(candidate.status)
    }


class NotInScope(PermissionDenied):
    """The candidate does not exist, or not for this staff member (outside their site or
    province): the workbench answers both with 404, alike."""


def lock_candidate(pk: int, *, only: tuple[str, ...] = ()) -> Candidate:
    """The candidate row, locked for the rest of the transaction: the whole row with its
    province, or only the fields `only` (what a photo decision reads)."""
    qs = Candidate.objects.select_for_update(of=("self",))
    qs = qs.only(*only) if only else qs.select_related("province")
    locked = qs.filter(pk=pk).first()
    if locked is None:
        raise NotInScope(_("该考生不存在。"))
    return locked


def event_create(
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
    """One audit row, chained after the last (review.models.ReviewEvent.save); the actor's
    name is recorded as it is now."""
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
        ip_address=ip,
    )


def format_time(value: dt.datetime) -> str:
    local = timezone.localtime(value)
    return f"{local.year}/{local.month}/{local.day} {local:%H:%M:%S}"


def names(categories) -> str:
    return pgettext("list separator", "、").join(c.name for c in categories)


@dataclass(frozen=True)
class Actor:
    user: object
    profile: StaffProfile
    level: str  # ReviewLevel the action is taken at

    @property
    def role(self) -> str:
        return self.profile.role


def profile_in_scope(by, candidate: Candidate) -> StaffProfile:
    profile = staff_profile_of(by)
    if profile is None or not staff_can_see_candidate(by, candidate):
        raise NotInScope(_("您无权审核该考生。"))
    return profile


def staff_check(
    *,
    by,
    candidate: Candidate,
    verb: str | None,
    expected_status: str | None,
    now: dt.datetime,
) -> Actor:
    """On the LOCKED candidate: may `by` take `verb` on it now (None: a photo decision), and
    at which level? The table (review.transitions) answers. Scope failures are NotInScope (a
    PermissionDenied), a verb outside the staff member's levels PermissionDenied; a state
    that moved on (another reviewer was faster) is a ValidationError with a clear message.
    A photo decision then takes or extends the caller's claim; a candidate decision ends it.
    Either is refused while another reviewer holds the candidate."""
    profile = profile_in_scope(by, candidate)
    own = transitions.own_levels(profile)
    if not own:
        raise PermissionDenied(_("您无权审核该考生。"))
    allowed = transitions.verb_levels(verb) if verb else set(transitions.TURN.values())
    if not own & allowed:
        raise PermissionDenied(_("您的审核级别不能执行此操作。"))
    if expected_status and candidate.status != expected_status:
        raise ValidationError(taken_message(candidate), code="state")
    if verb is None:
        level = transitions.acting_level(profile, candidate.status)
    else:
        transition = transitions.transition_for(verb, candidate.status)
        level = transition and transitions.deciding_level(transition, candidate)
    if level is None or level not in own:
        raise ValidationError(not_your_turn(candidate), code="state")
    if verb is None:
        claim_keep(candidate_id=candidate.pk, by=by, now=now)
    else:
        holder = ReviewClaim.objects.end(candidate_id=candidate.pk, reviewer_id=by.pk, now=now)
        if holder is not None:
            raise claimed_error(holder)
    return Actor(user=by, profile=profile, level=level)


def claimed_error(claim: ReviewClaim) -> ValidationError:
    """The refusal while another reviewer holds the candidate: who, and until when."""
    holder = claim.reviewer
    return ValidationError(
        _("该考生正由审核员 %(user)s 审核（至 %(until)s），请稍后再试。")
        % {
            "user": holder.get_full_name() or holder.get_username(),
            "until": timezone.localtime(claim.expires_at).strftime("%H:%M"),
        },
        code="claimed",
    )


def claim_keep(*, candidate_id: int, by, now: dt.datetime) -> None:
    """Inside a decision (candidate row locked): the claim becomes or stays the caller's, or
    the decision is refused with who holds it."""
    for _attempt in range(2):
        if ReviewClaim.objects.take(candidate_id=candidate_id, reviewer_id=by.pk, now=now):
            return
        holder = ReviewClaim.objects.held_by_other(
            candidate_id=candidate_id, reviewer_id=by.pk, now=now
        )
        if holder is not None:
            raise claimed_error(holder)
        # The other claim expired or was released in between: try again.
    raise ValidationError(_("该考生正由其他审核员审核，请稍后再试。"), code="claimed")


def applicable_categories(candidate: Candidate) -> list[MaterialCategory]:
    return list(categories_for_candidate(candidate))
