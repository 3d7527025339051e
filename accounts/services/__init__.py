"""Writes about candidates' and staff accounts, one module per job: the entry from the
registration system (entry), rosters pushed or imported before any entry (roster), the
activation steps (activation), phone verification (phone), the QR hand-off to a phone
(handoff), the candidate's language (language), staff accounts (staff), in bulk (staff_import) and their one-time link
(staff_invite), the staff's second factor (staff_otp) and the candidate's account audit
(events). Keyword-only; a refusal is a ValidationError with a Chinese message and a code."""

from .activation import (
    CONSENT_VERSION,
    activation_step_require,
    candidate_confirm_registration,
    candidate_give_consent,
    candidate_set_address,
)
from .entry import (
    EntryResult,
    candidate_enter,
    candidate_registration_changes_dismiss,
    entry_nonces_purge,
)
from .events import candidate_event_create
from .handoff import (
    HANDOFF_LIFETIME,
    HandoffRefusal,
    handoff_consume,
    handoff_create,
    handoff_used_by,
)
from .language import candidate_language_set
from .phone import phone_code_send, phone_code_verify
from .staff import staff_account_save
from .staff_import import (
    STAFF_COLUMNS,
    StaffImportReport,
    staff_accounts_deactivate,
    staff_import_apply,
    staff_import_check,
)
from .staff_invite import staff_invite_find, staff_invite_redeem, staff_invite_send
from .staff_otp import (
    staff_has_second_factor,
    staff_second_factor_check,
    staff_second_factor_reset,
    staff_totp_confirm,
    staff_totp_pending,
)

__all__ = [
    "CONSENT_VERSION",
    "EntryResult",
    "HANDOFF_LIFETIME",
    "HandoffRefusal",
    "activation_step_require",
    "candidate_confirm_registration",
    "candidate_enter",
    "candidate_event_create",
    "candidate_give_consent",
    "candidate_language_set",
    "candidate_registration_changes_dismiss",
    "candidate_set_address",
    "entry_nonces_purge",
    "handoff_consume",
    "handoff_create",
    "handoff_used_by",
    "phone_code_send",
    "phone_code_verify",
    "STAFF_COLUMNS",
    "StaffImportReport",
    "staff_account_save",
    "staff_accounts_deactivate",
    "staff_import_apply",
    "staff_import_check",
    "staff_invite_find",
    "staff_invite_redeem",
    "staff_invite_send",
    "staff_has_second_factor",
    "staff_second_factor_check",
    "staff_second_factor_reset",
    "staff_totp_confirm",
    "staff_totp_pending",
]
