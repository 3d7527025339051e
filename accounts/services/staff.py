"""Reviewer and operator accounts and their scope (site, province or national)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from ..enums import StaffRole
from ..models import StaffProfile
from ..selectors import staff_profile_of
from ..validators import staff_scope_validate


def staff_account_save(
    *, user, role: str, province, site, password: str | None, by, mobile: str | None = None
) -> None:
    """Creates or updates a reviewer/operator account with its scope. `by` is the admin user:
    an operator may only manage reviewers of their own province. `mobile`, when given, is
    where the account's one-time link goes (accounts.services.staff_invite)."""
    if role == StaffRole.SITE_REVIEWER and site is not None:
        province = site.province
    staff_scope_validate(role=role, province=province, site=site)
    if not by.is_superuser:
        actor = staff_profile_of(by)
        if actor is None or actor.role not in (StaffRole.NATIONAL, StaffRole.OPERATOR):
            raise PermissionDenied
        if actor.role == StaffRole.OPERATOR:
            if role not in (StaffRole.SITE_REVIEWER, StaffRole.PROVINCE_REVIEWER):
                raise PermissionDenied
            if province is None or province.pk != actor.province_id:
                raise PermissionDenied
            if user.pk and user.pk == by.pk:
                raise PermissionDenied
    with transaction.atomic():
        if user.pk is None:
            user.is_superuser = False
        user.is_staff = role in (StaffRole.OPERATOR, StaffRole.NATIONAL)
        if password:
            user.set_password(password)
        elif user.pk is None:
            user.set_unusable_password()
        user.save()
        defaults = {"role": role, "province": province, "site": site}
        if mobile is not None:
            defaults["mobile"] = mobile
        StaffProfile.objects.update_or_create(user=user, defaults=defaults)
