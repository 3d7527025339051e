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

from ._base import (
    CLAIM_MINUTES,
    DEADLINE_BATCH,
    REMINDER_HOURS,
    REVIEW_STATES,
    Actor,
    NotInScope,
)
from .candidate import (
    candidate_autosubmit,
    candidate_deadline_submit,
    candidate_resubmit,
    candidate_submit,
    candidates_close_windows,
)
from .claims import (
    claim_release,
    claim_take,
    claims_purge_expired,
    note_create,
    reply_deadline_reminders_send,
)
from .decisions import (
    CategoryItem,
    candidate_approve,
    candidate_reject,
    candidate_return,
    candidate_return_to_site,
    candidate_site_pass,
)
from .images import image_approve, image_return, images_approve_remaining

__all__ = [
    "candidate_submit",
    "candidate_autosubmit",
    "candidate_resubmit",
    "candidate_deadline_submit",
    "candidates_close_windows",
    "image_approve",
    "image_return",
    "images_approve_remaining",
    "candidate_site_pass",
    "CategoryItem",
    "candidate_return",
    "candidate_return_to_site",
    "candidate_approve",
    "candidate_reject",
    "note_create",
    "claim_take",
    "claim_release",
    "claims_purge_expired",
    "reply_deadline_reminders_send",
    "CLAIM_MINUTES",
    "DEADLINE_BATCH",
    "REMINDER_HOURS",
    "REVIEW_STATES",
    "Actor",
    "NotInScope",
]
