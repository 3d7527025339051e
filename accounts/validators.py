import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .enums import StaffRole

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_MOBILE_NOISE = re.compile(r"[\s-]")


def mobile_from_sheet(value: str) -> str:
    """A mobile number as people type it in a spreadsheet (spaces, hyphens, +86) as the 11
    digits validate_mobile checks."""
    return _MOBILE_NOISE.sub("", value or "").removeprefix("+86")


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value or ""):
        raise ValidationError(_("请输入正确的11位手机号码。"), code="invalid_mobile")


def staff_scope_validate(*, role: str, province, site) -> None:
    """A scope must be consistent: a site reviewer has a site (in its province), province
    roles have a province and no site, national staff neither."""
    errors: dict[str, str] = {}
    if role == StaffRole.SITE_REVIEWER:
        if site is None:
            errors["site"] = _("考点审核员必须指定考点。")
        elif province is not None and site.province_id != province.pk:
            errors["site"] = _("考点不属于所选考区。")
    elif role in (StaffRole.PROVINCE_REVIEWER, StaffRole.OPERATOR):
        if province is None:
            errors["province"] = _("考区审核员和考区管理员必须指定考区。")
        if site is not None:
            errors["site"] = _("考区审核员和考区管理员不指定考点。")
    elif role == StaffRole.NATIONAL and (province is not None or site is not None):
        errors["province"] = _("国家级管理员不指定考区和考点。")
    if errors:
        raise ValidationError(errors)
