"""Reads about the exam organisation and who may see what. The scope rule for staff lives
here, once: every view, admin page and photo response that shows a candidate asks it."""

from django.db.models import Q, QuerySet

from .enums import StaffRole
from .models import Candidate, StaffProfile


def staff_profile_of(user) -> StaffProfile | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.staff_profile
    except StaffProfile.DoesNotExist:
        return None


def staff_scope_q(profile: StaffProfile | None, *, prefix: str = "") -> Q:
    """A filter selecting the candidates a staff member may see. `prefix` lets other models
    filter through their candidate relation (e.g. prefix="candidate__")."""
    if profile is None:
        return Q(pk__in=[])
    if profile.role == StaffRole.NATIONAL:
        return Q()
    if profile.role == StaffRole.SITE_REVIEWER:
        if profile.site_id is None:
            return Q(pk__in=[])
        return Q(**{f"{prefix}site_id": profile.site_id})
    if profile.province_id is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}province_id": profile.province_id})


def candidates_visible_to(user) -> QuerySet[Candidate]:
    return Candidate.objects.filter(staff_scope_q(staff_profile_of(user)))


def staff_can_see_candidate(user, candidate: Candidate) -> bool:
    profile = staff_profile_of(user)
    if profile is None:
        return False
    if profile.role == StaffRole.NATIONAL:
        return True
    if profile.role == StaffRole.SITE_REVIEWER:
        return profile.site_id is not None and profile.site_id == candidate.site_id
    return profile.province_id is not None and profile.province_id == candidate.province_id
