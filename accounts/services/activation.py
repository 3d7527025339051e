"""The candidate's activation steps, in order: confirm the registration data, consent to the
processing of personal information, verify a phone (services.phone), give an address."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..enums import ActivationStep, CandidateEventAction
from ..models import Candidate
from ..selectors import activation_step
from .events import candidate_event_create

# The version of the consent text on the consent step (stored with the consent event).
CONSENT_VERSION = "2026-1"


def activation_step_require(*, candidate: Candidate, step: str) -> None:
    """Refuses a step done out of order, or any step once the candidate is activated."""
    current = activation_step(candidate)
    if candidate.is_activated:
        raise ValidationError(_("您已完成激活。"), code="already_activated")
    if current != step:
        raise ValidationError(_("请按顺序完成激活步骤。"), code="wrong_step")


def candidate_confirm_registration(*, candidate: Candidate, ip: str | None = None) -> Candidate:
    activation_step_require(candidate=candidate, step=ActivationStep.CONFIRM)
    now = timezone.now()
    Candidate.objects.filter(pk=candidate.pk, registration_confirmed_at__isnull=True).update(
        registration_confirmed_at=now, updated_at=now
    )
    candidate.registration_confirmed_at = now
    candidate_event_create(
        candidate=candidate, action=CandidateEventAction.REGISTRATION_CONFIRMED, ip=ip
    )
    return candidate


def candidate_give_consent(
    *, candidate: Candidate, agreed: bool, ip: str | None = None
) -> Candidate:
    activation_step_require(candidate=candidate, step=ActivationStep.CONSENT)
    if not agreed:
        raise ValidationError(
            _("需要您同意个人信息处理规则，才能上传证件等材料照片。"), code="consent_required"
        )
    now = timezone.now()
    Candidate.objects.filter(pk=candidate.pk, consent_at__isnull=True).update(
        consent_at=now, updated_at=now
    )
    candidate.consent_at = now
    candidate_event_create(
        candidate=candidate, action=CandidateEventAction.CONSENT, ip=ip, version=CONSENT_VERSION
    )
    return candidate


def candidate_set_address(
    *, candidate: Candidate, address: str, ip: str | None = None
) -> Candidate:
    """The last activation step, and later a change from the profile page."""
    address = " ".join(address.split())
    if len(address) < 5:
        raise ValidationError(_("请填写完整的联系地址。"), code="address_short")
    if len(address) > 200:
        raise ValidationError(_("联系地址不能超过200个字。"), code="address_long")
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if not locked.is_activated:
            activation_step_require(candidate=locked, step=ActivationStep.ADDRESS)
        now = timezone.now()
        locked.address = address
        fields = ["address", "updated_at"]
        activating = not locked.is_activated
        if activating:
            locked.activated_at = now
            fields.append("activated_at")
        locked.save(update_fields=fields)
        candidate_event_create(candidate=locked, action=CandidateEventAction.ADDRESS_SET, ip=ip)
        if activating:
            candidate_event_create(candidate=locked, action=CandidateEventAction.ACTIVATED, ip=ip)
    candidate.address = locked.address
    candidate.activated_at = locked.activated_at
    return candidate
