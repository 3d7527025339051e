"""Reviewer accounts in bulk: an operator's sheet (site code, name, mobile, user name, role)
is checked row by row first (staff_import_check), and only the rows that pass are written,
once the operator has confirmed (staff_import_apply, which checks them again: the accounts
may have changed in between). Each new account gets its one-time link by SMS
(staff_invite). Accounts are deactivated in bulk by staff_accounts_deactivate."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from ..enums import StaffRole
from ..models import Province, StaffProfile, TestSite
from ..selectors import staff_profile_of
from ..tabular import Column
from ..validators import MOBILE_RE, mobile_from_sheet
from .staff import staff_account_save
from .staff_invite import staff_invite_send

STAFF_COLUMNS = (
    Column("site", "考点代码"),
    Column("name", "姓名"),
    Column("mobile", "手机号码"),
    Column("username", "用户名"),
    Column("role", "角色"),
)
STAFF_IMPORT_MAX_ROWS = 2000
# Roles a sheet may give, by their label or their code name.
IMPORTABLE_ROLES = (StaffRole.SITE_REVIEWER, StaffRole.PROVINCE_REVIEWER)
_ROLE_NAMES = {
    **{str(role.label): role.value for role in IMPORTABLE_ROLES},
    **{role.value: role.value for role in IMPORTABLE_ROLES},
}


@dataclass(frozen=True)
class StaffImportProblem:
    number: int  # the row in the sheet
    username: str
    reasons: list[str]


@dataclass
class StaffImportReport:
    province: Province
    accepted: list[dict] = field(default_factory=list)  # rows that pass, ready to write
    problems: list[StaffImportProblem] = field(default_factory=list)
    created: int = 0  # accounts written by staff_import_apply

    @property
    def rows(self) -> int:
        return len(self.accepted) + len(self.problems)


def staff_import_require(*, province: Province, by) -> None:
    """Only national staff, or the operator of `province`, import its reviewers."""
    if by.is_superuser:
        return
    actor = staff_profile_of(by)
    if actor is None:
        raise PermissionDenied
    if actor.role == StaffRole.NATIONAL:
        return
    if actor.role != StaffRole.OPERATOR or actor.province_id != province.pk:
        raise PermissionDenied


def staff_import_check(*, rows: list[dict], province: Province, by) -> StaffImportReport:
    """Every row checked, nothing written. `rows` are dicts with "number" and the values of
    STAFF_COLUMNS. A row is refused, with each of its reasons, for: a missing value, a bad
    user name, a user name or mobile given twice in the file or already in use, a bad mobile
    number, a role other than the reviewers', a site code that is unknown or of another
    province, a site code missing (site reviewers) or given (province reviewers)."""
    staff_import_require(province=province, by=by)
    report = StaffImportReport(province=province)
    User = get_user_model()
    usernames = [(row.get("username") or "").strip() for row in rows]
    mobiles = [mobile_from_sheet(row.get("mobile") or "") for row in rows]
    codes = {(row.get("site") or "").strip() for row in rows} - {""}
    sites = {s.code: s for s in TestSite.objects.filter(code__in=codes).select_related("province")}
    taken_usernames = set(
        User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=[u.lower() for u in usernames if u])
        .values_list("lower", flat=True)
    )
    taken_mobiles = set(
        StaffProfile.objects.filter(mobile__in=[m for m in mobiles if m]).values_list(
            "mobile", flat=True
        )
    )
    seen_usernames = Counter(u.lower() for u in usernames)
    seen_mobiles = Counter(mobiles)
    validate_username = UnicodeUsernameValidator()
    for row, username, mobile in zip(rows, usernames, mobiles, strict=True):
        reasons: list[str] = []
        name = (row.get("name") or "").strip()
        site_code = (row.get("site") or "").strip()
        role = _ROLE_NAMES.get((row.get("role") or "").strip())
        if not username:
            reasons.append(_("缺少用户名"))
        else:
            try:
                validate_username(username)
                if len(username) > 150:
                    raise ValidationError("too long")
            except ValidationError:
                reasons.append(
                    _("用户名“%(u)s”无效（只能包含字母、数字和 @ . + - _，最多150个字符）")
                    % {"u": username}
                )
            if seen_usernames[username.lower()] > 1:
                reasons.append(_("用户名“%(u)s”在文件中重复") % {"u": username})
            if username.lower() in taken_usernames:
                reasons.append(_("用户名“%(u)s”已被使用") % {"u": username})
        if not name:
            reasons.append(_("缺少姓名"))
        elif len(name) > 150:
            reasons.append(_("姓名过长（最多150个字符）"))
        if not mobile:
            reasons.append(_("缺少手机号码"))
        elif not MOBILE_RE.match(mobile):
            reasons.append(_("手机号码“%(m)s”格式不正确（应为11位手机号码）") % {"m": mobile})
        else:
            if seen_mobiles[mobile] > 1:
                reasons.append(_("手机号码 %(m)s 在文件中重复") % {"m": mobile})
            if mobile in taken_mobiles:
                reasons.append(_("手机号码 %(m)s 已被其他账号使用") % {"m": mobile})
        if role is None:
            reasons.append(
                _("角色“%(r)s”无效（应为 考点审核员 或 考区审核员）")
                % {"r": (row.get("role") or "").strip()}
            )
        site = None
        if site_code:
            site = sites.get(site_code)
            if site is None:
                reasons.append(_("考点代码 %(c)s 不存在") % {"c": site_code})
            elif site.province_id != province.pk:
                reasons.append(
                    _("考点 %(c)s 属于其他考区（%(p)s），不属于%(mine)s")
                    % {"c": site_code, "p": site.province.name, "mine": province.name}
                )
            elif role == StaffRole.PROVINCE_REVIEWER:
                reasons.append(_("考区审核员不填考点代码"))
        elif role == StaffRole.SITE_REVIEWER:
            reasons.append(_("考点审核员必须填写考点代码"))
        if reasons:
            report.problems.append(
                StaffImportProblem(number=row["number"], username=username, reasons=reasons)
            )
            continue
        report.accepted.append(
            {
                "number": row["number"],
                "username": username,
                "name": name,
                "mobile": mobile,
                "role": role,
                "site": site_code,
            }
        )
    return report


def staff_import_apply(
    *, rows: list[dict], province: Province, by, base_url: str
) -> StaffImportReport:
    """Writes the rows the operator confirmed, after checking them again. If any row is now
    refused, nothing is written and the report says why; otherwise every account is created
    (with no usable password) in one transaction and each gets its one-time link by SMS."""
    report = staff_import_check(rows=rows, province=province, by=by)
    if report.problems:
        return report
    User = get_user_model()
    sites = {s.code: s for s in TestSite.objects.filter(province=province)}
    with transaction.atomic():
        for row in report.accepted:
            user = User(username=row["username"], first_name=row["name"])
            site = sites.get(row["site"]) if row["site"] else None
            staff_account_save(
                user=user,
                role=row["role"],
                province=province,
                site=site,
                password=None,
                by=by,
                mobile=row["mobile"],
            )
            staff_invite_send(user=user, mobile=row["mobile"], by=by, base_url=base_url)
            report.created += 1
    return report


def staff_accounts_deactivate(*, users, by) -> int:
    """Deactivates the accounts (they can no longer log in; a session they hold ends at its
    next request). An operator deactivates reviewers of their own province only, and nobody
    their own account. Returns how many were active before."""
    users = list(users)
    # Read directly, not by staff_profile_of: that answers None for an inactive account.
    profiles = {p.user_id: p for p in StaffProfile.objects.filter(user__in=users)}
    actor = staff_profile_of(by)
    ids = []
    for user in users:
        if user.pk == by.pk:
            raise PermissionDenied
        if not by.is_superuser:
            profile = profiles.get(user.pk)
            if user.is_superuser or actor is None or profile is None:
                raise PermissionDenied
            if actor.role == StaffRole.OPERATOR and (
                profile.role not in IMPORTABLE_ROLES or profile.province_id != actor.province_id
            ):
                raise PermissionDenied
            if actor.role not in (StaffRole.OPERATOR, StaffRole.NATIONAL):
                raise PermissionDenied
        ids.append(user.pk)
    return get_user_model().objects.filter(pk__in=ids, is_active=True).update(is_active=False)
