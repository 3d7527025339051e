"""The candidate state machine, as a table: every transition a candidate can take, who may
take it, where it leads and which SMS it sends. review.services.transition
(`candidate_transition`) performs any of them; the workbench reads from the same table which
level acts on a candidate and what it may do (`acting_level`, `can_take`).

The candidate statuses and review levels themselves are defined in accounts.enums, because
the Candidate model (accounts) stores them and accounts may not import review (layers:
config → accounts → materials → review). This table is their one home as a state machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.enums import CandidateStatus, ReviewLevel, StaffRole
from notifications.sms import SmsKind

from .enums import ActorKind, EventAction

S = CandidateStatus

# The level that returned the candidate takes the decision (the rejection of a returned
# candidate): candidate.returned_by, or the site when it is unknown.
RETURNING_LEVEL = "returning"

# Two targets the resubmission chooses between (candidate_transition resolves it): the level
# that returned the candidate, unless the province has switched that off.
BACK_TO_RETURNING_LEVEL = "back_to_returning_level"


@dataclass(frozen=True)
class Transition:
    verb: str  # what the caller asks for: "submit", "site_pass", "return", ...
    source: str  # the candidate status it starts from
    target: str  # the status it leads to (or BACK_TO_RETURNING_LEVEL)
    action: str  # EventAction of its audit row
    actor: str  # ActorKind that takes it
    level: str | None = None  # ReviewLevel (or RETURNING_LEVEL) of a staff transition
    sms: str = ""  # the SmsKind (notifications.sms) sent to the candidate; "" none


TABLE: tuple[Transition, ...] = (
    # The candidate's own, and the system's on the candidate's behalf.
    Transition("submit", S.DRAFT, S.SUBMITTED, EventAction.SUBMIT, ActorKind.CANDIDATE),
    Transition("autosubmit", S.DRAFT, S.SUBMITTED, EventAction.AUTO_SUBMIT, ActorKind.SYSTEM),
    Transition(
        "deadline_submit", S.DRAFT, S.SUBMITTED, EventAction.DEADLINE_SUBMIT, ActorKind.SYSTEM
    ),
    Transition(
        "resubmit", S.RETURNED, BACK_TO_RETURNING_LEVEL, EventAction.RESUBMIT, ActorKind.CANDIDATE
    ),
    # The site's decisions.
    Transition(
        "site_pass",
        S.SUBMITTED,
        S.SITE_PASSED,
        EventAction.SITE_PASS,
        ActorKind.STAFF,
        ReviewLevel.SITE,
    ),
    Transition(
        "return",
        S.SUBMITTED,
        S.RETURNED,
        EventAction.SITE_RETURN,
        ActorKind.STAFF,
        ReviewLevel.SITE,
        sms=SmsKind.RETURN,
    ),
    Transition(
        "reject",
        S.SUBMITTED,
        S.REJECTED,
        EventAction.REJECT,
        ActorKind.STAFF,
        ReviewLevel.SITE,
        sms=SmsKind.REJECTED,
    ),
    # The province's decisions.
    Transition(
        "approve",
        S.SITE_PASSED,
        S.APPROVED,
        EventAction.PROVINCE_APPROVE,
        ActorKind.STAFF,
        ReviewLevel.PROVINCE,
        sms=SmsKind.APPROVED,
    ),
    Transition(
        "return",
        S.SITE_PASSED,
        S.RETURNED,
        EventAction.PROVINCE_RETURN,
        ActorKind.STAFF,
        ReviewLevel.PROVINCE,
        sms=SmsKind.RETURN,
    ),
    Transition(
        "return_to_site",
        S.SITE_PASSED,
        S.SUBMITTED,
        EventAction.PROVINCE_RETURN_TO_SITE,
        ActorKind.STAFF,
        ReviewLevel.PROVINCE,
    ),
    Transition(
        "reject",
        S.SITE_PASSED,
        S.REJECTED,
        EventAction.REJECT,
        ActorKind.STAFF,
        ReviewLevel.PROVINCE,
        sms=SmsKind.REJECTED,
    ),
    # A returned candidate may still be rejected, by the level that returned it.
    Transition(
        "reject",
        S.RETURNED,
        S.REJECTED,
        EventAction.REJECT,
        ActorKind.STAFF,
        RETURNING_LEVEL,
        sms=SmsKind.REJECTED,
    ),
)

BY_VERB_AND_SOURCE: dict[tuple[str, str], Transition] = {(t.verb, t.source): t for t in TABLE}
VERBS: tuple[str, ...] = tuple(dict.fromkeys(t.verb for t in TABLE))
STAFF_VERBS: tuple[str, ...] = tuple(dict.fromkeys(t.verb for t in TABLE if t.level))

# The level whose turn it is in a review state: the states in which staff decide at a fixed
# level (SUBMITTED: the site, SITE_PASSED: the province). Photo decisions and claims are
# taken in these states only.
TURN: dict[str, str] = {t.source: t.level for t in TABLE if t.level in ReviewLevel.values}
REVIEW_STATES: tuple[str, ...] = tuple(TURN)


def transition_for(verb: str, status: str) -> Transition | None:
    return BY_VERB_AND_SOURCE.get((verb, status))


def verb_levels(verb: str) -> set[str]:
    """The levels that may take `verb` from some state (the returning level is either)."""
    levels: set[str] = set()
    for t in TABLE:
        if t.verb == verb and t.level:
            levels |= set(ReviewLevel.values) if t.level == RETURNING_LEVEL else {t.level}
    return levels


def own_levels(profile) -> set[str]:
    """The levels a staff member acts at: reviewers their own, operators (their province)
    and national staff either, recorded by role in the audit row."""
    if profile.role in (StaffRole.OPERATOR, StaffRole.NATIONAL):
        return set(ReviewLevel.values)
    if profile.role == StaffRole.SITE_REVIEWER:
        return {ReviewLevel.SITE}
    if profile.role == StaffRole.PROVINCE_REVIEWER:
        return {ReviewLevel.PROVINCE}
    return set()


def deciding_level(transition: Transition, candidate) -> str | None:
    """The level that takes this transition on this candidate."""
    if transition.level == RETURNING_LEVEL:
        return candidate.returned_by or ReviewLevel.SITE
    return transition.level


def acting_level(profile, status: str) -> str | None:
    """The level at which this staff member decides on a candidate in `status` (photos,
    site pass, returns, approval), or None when it is not their turn."""
    level = TURN.get(status)
    return level if level is not None and level in own_levels(profile) else None


def can_take(profile, candidate, verb: str) -> bool:
    """May this staff member take `verb` on the candidate in its present state (the state
    and level only; scope and claims are checked by the transition itself)?"""
    transition = transition_for(verb, candidate.status)
    if transition is None or transition.level is None:
        return False
    return deciding_level(transition, candidate) in own_levels(profile)
