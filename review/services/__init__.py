"""Every change of a candidate's review state goes through one function,
`candidate_transition` (review.services.transition), which performs the transitions listed
in review.transitions.TABLE; the named functions below are thin wrappers around it. The
decisions on photos, the claims, the notes and the reminders are here too.
"""

from ._base import (
    CLAIM_MINUTES,
    DEADLINE_BATCH,
    REMINDER_HOURS,
    REVIEW_STATES,
    Actor,
    NotInScope,
    claimed_error,
)
from .audit import (
    ADMIN,
    WORKBENCH,
    candidate_trail_export,
    candidate_view_record,
    image_view_record,
    photo_sent_ahead,
    photos_ahead_token,
    photos_shown_record,
)
from .candidate import (
    candidate_autosubmit,
    candidate_deadline_submit,
    candidate_resubmit,
    candidate_submit,
    candidates_close_windows,
)
from .claims import (
    claim_next,
    claim_release,
    claim_take,
    claims_purge_expired,
    note_create,
)
from .decisions import (
    candidate_approve,
    candidate_reject,
    candidate_return,
    candidate_return_to_site,
    candidate_site_pass,
)
from .images import image_approve, image_return, images_approve_remaining
from .reminders import reply_deadline_reminders_send, window_reminders_send
from .transition import CategoryItem, Refused, candidate_transition

__all__ = [
    "candidate_transition",
    "claimed_error",
    "candidate_view_record",
    "image_view_record",
    "photo_sent_ahead",
    "photos_ahead_token",
    "photos_shown_record",
    "candidate_trail_export",
    "WORKBENCH",
    "ADMIN",
    "Refused",
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
    "claim_next",
    "claim_release",
    "claims_purge_expired",
    "reply_deadline_reminders_send",
    "window_reminders_send",
    "CLAIM_MINUTES",
    "DEADLINE_BATCH",
    "REMINDER_HOURS",
    "REVIEW_STATES",
    "Actor",
    "NotInScope",
]
