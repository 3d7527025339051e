"""Signals the materials app sends, for the app above it (review) to answer: materials
imports nothing of review (the layers in pyproject.toml)."""

from django.dispatch import Signal

# Sent inside the transaction of an upload or a deletion (kwargs: candidate, image, data, ip;
# image is None when its row went with the deletion). Review writes the audit row; an error
# there rolls the upload or the deletion back with it.
image_uploaded = Signal()
image_deleted = Signal()

# Sent after an upload or a deletion in an auto-save province has committed (kwargs:
# candidate): the candidate may now hold every required photo and enter the site's queue.
candidate_materials_changed = Signal()

# Sent when a staff member is served a photo (kwargs: image, variant, user, ip, ahead), before
# the file leaves: review writes the audit row (an error there serves nothing). `ahead`: the
# request's «ahead» token ("" if none), with which a page loads photos before showing them.
image_viewed = Signal()
