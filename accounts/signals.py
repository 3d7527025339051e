"""Signals the accounts app sends, for the apps above it (materials, review) to answer:
accounts imports none of them (the layers in pyproject.toml)."""

from django.dispatch import Signal

# Sent while an entry changes a candidate's registration data, once before and once after the
# change (kwargs: candidate). A receiver returns the names of the required material categories
# that apply to the candidate; the materials app answers it (materials.apps), and without an
# answer the change notice stays generic.
required_material_names = Signal()

# Sent inside the transaction that removes a staff member's second-factor devices (kwargs:
# user, by, ip, devices): the review app writes the audit row, so a reset is never
# unrecorded.
second_factor_reset = Signal()
