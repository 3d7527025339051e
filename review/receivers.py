"""What the review app answers to the signals of the materials app, which may not import
review. Connected by ReviewConfig.ready."""

from django.dispatch import receiver

from accounts.models import Candidate
from accounts.selectors import staff_profile_of
from accounts.signals import second_factor_reset
from materials.models import MaterialImage
from materials.signals import (
    candidate_materials_changed,
    image_deleted,
    image_uploaded,
    image_viewed,
)

from .enums import ActorKind, EventAction
from .models import ReviewEvent
from .services import candidate_autosubmit, image_view_record, photo_sent_ahead


def _candidate_event(*, candidate, action: str, image, data, ip) -> None:
    ReviewEvent.objects.create(
        candidate=candidate,
        image=image,
        actor_kind=ActorKind.CANDIDATE,
        action=action,
        from_status=candidate.status,
        to_status=candidate.status,
        data=data or {},
        ip_address=ip,
    )


@receiver(image_uploaded, sender=MaterialImage)
def image_uploaded_audit(sender, *, candidate, image, data=None, ip=None, **kwargs) -> None:
    """The upload's audit row, in the upload's transaction."""
    _candidate_event(
        candidate=candidate, action=EventAction.IMAGE_UPLOAD, image=image, data=data, ip=ip
    )


@receiver(image_deleted, sender=MaterialImage)
def image_deleted_audit(sender, *, candidate, image, data=None, ip=None, **kwargs) -> None:
    """The deletion's audit row, in the deletion's transaction."""
    _candidate_event(
        candidate=candidate, action=EventAction.IMAGE_DELETE, image=image, data=data, ip=ip
    )


@receiver(candidate_materials_changed, sender=Candidate)
def candidate_materials_autosubmit(sender, *, candidate, **kwargs) -> None:
    candidate_autosubmit(candidate=candidate)


@receiver(second_factor_reset, dispatch_uid="review-second-factor-reset-audit")
def second_factor_reset_audit(sender, *, user, by, ip=None, devices=0, **kwargs) -> None:
    """The reset's audit row (no candidate), in the reset's transaction: who reset whose
    second factor, from where."""
    profile = staff_profile_of(by)
    ReviewEvent.objects.create(
        candidate=None,
        actor_kind=ActorKind.STAFF,
        actor=by,
        role=profile.role if profile is not None else "",
        action=EventAction.STAFF_2FA_RESET,
        data={"user_id": user.pk, "username": user.get_username(), "devices": devices},
        ip_address=ip,
    )


@receiver(image_viewed, sender=MaterialImage)
def image_viewed_audit(sender, *, image, variant, user, ip=None, ahead="", **kwargs) -> None:
    """A staff member's look at a photo: the audit row, before the file is served; none for
    a photo the workbench loads ahead with its page's token (the page records it when it
    shows it: review.services.audit)."""
    if ahead and variant == "display" and photo_sent_ahead(token=ahead, image=image, by=user):
        return
    image_view_record(image=image, by=user, variant=variant, ip=ip)
