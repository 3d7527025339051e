"""The audit rows of staff looking at candidates: a candidate's page (workbench or admin), a
photo (display or original), and the export of a candidate's trail for an inspector. Each is
one row of the chained audit trail (review.models.ReviewEvent), written before the page or
the file is sent.

A photo is recorded when it is shown. A page without JavaScript shows what it loads, so
serving the photo records it. The workbench's script loads the next photos ahead, before
the reviewer looks at them: it asks for them with the page's «ahead» token
(photos_ahead_token, signed for the reviewer and the candidate whose page view was just
recorded), those are served without a row, and the script reports each photo when it shows
it (photos_shown_record, a small POST). So no photo leaves without a row that names the
reviewer and the candidate, and a photo row means the photo was on the reviewer's
screen."""

from __future__ import annotations

from django.core import signing
from django.db import transaction

from accounts.models import Candidate
from accounts.selectors import staff_profile_of
from materials.models import MaterialImage

from ..enums import EventAction
from ..models import ReviewEvent
from ._base import event_create

# Where a candidate's page was opened (ReviewEvent.data["page"]).
WORKBENCH = "workbench"
ADMIN = "admin"

# The «ahead» token of a workbench page (photos_ahead_token): how long a page left open may
# load its photos ahead without a row each (after that, each is recorded when served).
AHEAD_SALT = "review.photos-ahead"
AHEAD_MAX_AGE = 12 * 3600


def _role(by) -> str:
    profile = staff_profile_of(by)
    return profile.role if profile is not None else ""


def candidate_view_record(*, candidate: Candidate, by, page: str, ip: str | None) -> ReviewEvent:
    """`by` (staff) opened the candidate's page `page` (WORKBENCH or ADMIN)."""
    return event_create(
        candidate=candidate,
        action=EventAction.CANDIDATE_VIEW,
        actor=by,
        role=_role(by),
        data={"page": page},
        ip=ip,
    )


def image_view_record(*, image: MaterialImage, by, variant: str, ip: str | None) -> ReviewEvent:
    """`by` (staff) is served the photo's `variant` ("display" or "original")."""
    return event_create(
        candidate=image.candidate,
        image=image,
        action=EventAction.IMAGE_VIEW,
        actor=by,
        role=_role(by),
        data={"variant": variant, "category_id": image.category_id},
        ip=ip,
    )


def photos_ahead_token(*, candidate: Candidate, by) -> str:
    """For the workbench page whose view of `candidate` by `by` was just recorded: the token
    its script adds to the photos it loads ahead (see the module's docstring)."""
    return signing.dumps({"c": candidate.pk, "u": by.pk}, salt=AHEAD_SALT)


def photo_sent_ahead(*, token: str, image: MaterialImage, by) -> bool:
    """Is this request for `image` a load ahead by the page of `by` that holds `token`
    (then the page records the photo when it shows it)? Else the serving records it."""
    try:
        data = signing.loads(token, salt=AHEAD_SALT, max_age=AHEAD_MAX_AGE)
    except signing.BadSignature:
        return False
    return data == {"c": image.candidate_id, "u": by.pk}


def photos_shown_record(
    *, candidate: Candidate, by, image_ids: list[int], ip: str | None
) -> list[ReviewEvent]:
    """The workbench's script showed these photos of `candidate` (loaded ahead, so not
    recorded when served): one row each, as if served, in the order they were shown (the
    order of `image_ids`; one report may carry several). Ids of photos that are not the
    candidate's are left out."""
    images = MaterialImage.objects.filter(candidate=candidate).in_bulk(image_ids)
    rows = []
    with transaction.atomic():  # one report, one commit
        for pk in dict.fromkeys(image_ids):
            image = images.get(pk)
            if image is None:
                continue
            image.candidate = candidate
            rows.append(image_view_record(image=image, by=by, variant="display", ip=ip))
    return rows


def candidate_trail_export(
    *, candidate: Candidate, by, file_format: str, ip: str | None
) -> list[ReviewEvent]:
    """The candidate's whole audit trail for an inspector, in the order it was written. The
    export is recorded first, so the file ends with its own row."""
    event_create(
        candidate=candidate,
        action=EventAction.TRAIL_EXPORT,
        actor=by,
        role=_role(by),
        data={"format": file_format},
        ip=ip,
    )
    return list(ReviewEvent.objects.filter(candidate=candidate).order_by("id"))
