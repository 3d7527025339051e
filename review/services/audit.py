"""The audit rows of staff looking at candidates: a candidate's page (workbench or admin), a
photo (display or original), and the export of a candidate's trail for an inspector. Each is
one row of the chained audit trail (review.models.ReviewEvent), written before the page or
the file is sent."""

from __future__ import annotations

from accounts.models import Candidate
from accounts.selectors import staff_profile_of
from materials.models import MaterialImage

from ..enums import EventAction
from ..models import ReviewEvent
from ._base import event_create

# Where a candidate's page was opened (ReviewEvent.data["page"]).
WORKBENCH = "workbench"
ADMIN = "admin"


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
