"""Reads about the exam organisation and who may see what. The scope rule for staff lives
here, once: every view, admin page and photo response that shows a candidate asks it."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .enums import ActivationStep, CandidateStatus, IdType, StaffRole, SubmitMode
from .models import BEIJING, Candidate, HandoffToken, PhoneVerification, StaffProfile, TestSite

# Phone verification limits (the phone service keeps them; the page shows them).
CODE_TTL = timedelta(seconds=settings.YISHEN_PHONE_CODE_SECONDS)
CODE_MAX_ATTEMPTS = settings.YISHEN_PHONE_CODE_MAX_ATTEMPTS
CODE_RESEND_SECONDS = settings.YISHEN_PHONE_CODE_RESEND_SECONDS
CODES_PER_HOUR = settings.YISHEN_PHONE_CODES_PER_HOUR

SHANGHAI = BEIJING


def staff_profile_of(user) -> StaffProfile | None:
    """The user's staff profile with its site and province (read with the user by
    accounts.backends, else once, and then kept on the user object for the request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        return user.staff_profile
    except StaffProfile.DoesNotExist:
        return None


# The scope rule, once: which candidates a staff member may see, as the one candidate field
# and value that must match (site reviewers their site; province reviewers and operators
# their province), everything (national staff) or nothing (no profile, or a profile missing
# its site or province). The list filter (q), the yes/no check (allows), the admin's province
# scoping (accounts.admin_scoping) and the workbench's doors (review.views.access,
# review.exports.views) all read this one object; tests/accounts/test_scope.py keeps them
# equal.


@dataclass(frozen=True)
class StaffScope:
    profile: StaffProfile | None
    everything: bool = False
    field: str = ""  # "site_id" or "province_id" when the scope is one site or province
    value: int | None = None

    @property
    def role(self) -> str | None:
        return self.profile.role if self.profile is not None else None

    @property
    def province_id(self) -> int | None:
        """The one province of a province-wide scope (province reviewers, operators)."""
        return self.value if self.field == "province_id" else None

    def q(self, *, prefix: str = "") -> Q:
        """A filter selecting the candidates in scope. `prefix` lets other models filter
        through their candidate relation (e.g. prefix="candidate__")."""
        if self.everything:
            return Q()
        if not self.field:
            return Q(pk__in=[])
        return Q(**{f"{prefix}{self.field}": self.value})

    def allows(self, candidate: Candidate) -> bool:
        """The same rule as q(), answered for one candidate without a query."""
        if self.everything:
            return True
        return bool(self.field) and getattr(candidate, self.field) == self.value


def staff_scope(profile: StaffProfile | None) -> StaffScope:
    if profile is None:
        return StaffScope(profile)
    if profile.role == StaffRole.NATIONAL:
        return StaffScope(profile, everything=True)
    if profile.role == StaffRole.SITE_REVIEWER:
        if profile.site_id is None:
            return StaffScope(profile)
        return StaffScope(profile, field="site_id", value=profile.site_id)
    if profile.province_id is None:
        return StaffScope(profile)
    return StaffScope(profile, field="province_id", value=profile.province_id)


def staff_scope_of(user) -> StaffScope:
    """The scope of a user (an anonymous user, a candidate or a user without a staff profile
    has the empty scope)."""
    return staff_scope(staff_profile_of(user))


def sites_in_scope(profile: StaffProfile | None) -> QuerySet[TestSite]:
    """The test sites a staff member may choose in a filter, by code."""
    scope = staff_scope(profile)
    sites = TestSite.objects.order_by("code")
    if scope.everything:
        return sites
    if scope.field == "province_id":
        return sites.filter(province_id=scope.value)
    if scope.field == "site_id":
        return sites.filter(pk=scope.value)
    return sites.none()


def staff_scope_q(profile: StaffProfile | None, *, prefix: str = "") -> Q:
    return staff_scope(profile).q(prefix=prefix)


def candidates_visible_to(user) -> QuerySet[Candidate]:
    return Candidate.objects.filter(staff_scope_of(user).q())


def staff_can_see_candidate(user, candidate: Candidate) -> bool:
    return staff_scope_of(user).allows(candidate)


# --- activation ---------------------------------------------------------------------------


def activation_step(candidate: Candidate) -> str:
    """The first step the candidate has not done yet."""
    if candidate.registration_confirmed_at is None:
        return ActivationStep.CONFIRM
    if candidate.consent_at is None:
        return ActivationStep.CONSENT
    if candidate.phone_verified_at is None or not candidate.phone:
        return ActivationStep.PHONE
    if not candidate.address:
        return ActivationStep.ADDRESS
    return ActivationStep.DONE


@dataclass(frozen=True)
class PhoneCodeState:
    """What the phone step shows: the pending code and the limits."""

    pending: PhoneVerification | None
    expires_at: object | None
    expires_in_minutes: int
    attempts_left: int
    resend_in: int
    sends_left_this_hour: int
    next_send_possible_at: object | None


def phone_code_state(*, candidate: Candidate, now=None) -> PhoneCodeState:
    now = now or timezone.now()
    hour_ago = now - timedelta(hours=1)
    recent = list(
        PhoneVerification.objects.filter(candidate=candidate, created_at__gte=hour_ago).order_by(
            "-created_at", "-id"
        )
    )
    latest = recent[0] if recent else None
    pending = None
    if (
        latest is not None
        and latest.verified_at is None
        and latest.expires_at > now
        and latest.attempts < CODE_MAX_ATTEMPTS
    ):
        pending = latest
    resend_in = 0
    if latest is not None:
        resend_in = max(
            0,
            int(
                (latest.created_at + timedelta(seconds=CODE_RESEND_SECONDS) - now).total_seconds()
                + 0.999
            ),
        )
    sends_left = max(0, CODES_PER_HOUR - len(recent))
    next_possible = None
    if sends_left == 0 and recent:
        next_possible = recent[-1].created_at + timedelta(hours=1)
    return PhoneCodeState(
        pending=pending,
        expires_at=pending.expires_at if pending else None,
        expires_in_minutes=(
            max(1, -int(-(pending.expires_at - now).total_seconds() // 60)) if pending else 0
        ),
        attempts_left=(CODE_MAX_ATTEMPTS - pending.attempts) if pending else 0,
        resend_in=resend_in,
        sends_left_this_hour=sends_left,
        next_send_possible_at=next_possible,
    )


# --- submission, as the candidate and the reviewers read it ---------------------------------


def format_moment(value) -> str:
    """As the guides write it: "2020/3/12 22:02:08" (Beijing time, no zero padding on month
    and day)."""
    local = timezone.localtime(value, SHANGHAI)
    return f"{local.year}/{local.month}/{local.day} {local:%H:%M:%S}"


def submitted_message(candidate: Candidate) -> str:
    """ "2020/3/12 22:02:08 上报完成，内容已锁定。" once submitted; empty before. An auto-save
    province's candidate in review can still change photos: no lock is claimed then."""
    if candidate.submitted_at is None:
        return ""
    if (
        candidate.status == CandidateStatus.SUBMITTED
        and candidate.province.submit_mode == SubmitMode.AUTO_SAVE
    ):
        return _("%(moment)s 上报完成。") % {"moment": format_moment(candidate.submitted_at)}
    return _("%(moment)s 上报完成，内容已锁定。") % {
        "moment": format_moment(candidate.submitted_at)
    }


# --- what a later entry changed, for the material page ---------------------------------

_CHANGE_LABELS = {
    "name": gettext_lazy("姓名"),
    "id_type": gettext_lazy("证件类型"),
    "id_no": gettext_lazy("证件号码"),
    "province": gettext_lazy("考区"),
    "site": gettext_lazy("考点"),
    "category": gettext_lazy("报考类别"),
    "tags": gettext_lazy("考生标记"),
}


def _change_value(field: str, value) -> str:
    if field == "tags":
        return "、".join(value) if value else str(_("无"))
    if field == "id_type":
        try:
            return str(IdType(value).label)
        except ValueError:
            return str(value)
    return str(value)


def registration_changes_text(candidate: Candidate) -> list[str]:
    """The registration data the registration system changed since the candidate last
    dismissed the notice, one Chinese sentence per change (ID numbers masked)."""
    lines: list[str] = []
    materials = None
    for item in candidate.registration_changes or []:
        field = item.get("field")
        if field == "materials":
            materials = item
            continue
        label = _CHANGE_LABELS.get(field)
        if label is None:
            continue
        lines.append(
            _("%(label)s由「%(old)s」变更为「%(new)s」。")
            % {
                "label": label,
                "old": _change_value(field, item.get("old")),
                "new": _change_value(field, item.get("new")),
            }
        )
    if materials is not None and lines:
        added, removed = materials.get("added"), materials.get("removed")
        if added:
            lines.append(_("新增必须上传的材料：%(names)s。") % {"names": "、".join(added)})
        if removed:
            lines.append(
                _("以下材料不再适用，无需上传：%(names)s。") % {"names": "、".join(removed)}
            )
        if not added and not removed:
            lines.append(
                _(
                    "报考信息变更后，需要上传的材料可能随之变化：请对照下方材料列表，"
                    "补充新要求的材料；不再适用的材料无需处理。"
                )
            )
    return lines


def handoff_state(*, candidate, pk: int, now=None) -> str | None:
    """What the desktop shows about its QR link: "used", "expired" or "pending"; None when
    the link is not this candidate's (another candidate's link is never reported)."""
    now = now or timezone.now()
    token = (
        HandoffToken.objects.filter(candidate=candidate, pk=pk)
        .only("used_at", "expires_at")
        .first()
    )
    if token is None:
        return None
    if token.used_at is not None:
        return "used"
    return "expired" if token.expires_at <= now else "pending"


def candidates_not_started(*, province=None, site=None, exam_year=None) -> QuerySet[Candidate]:
    """Candidates the registration system pushed in a roster who have never entered (no
    last_entry_at): whom a reminder to come and upload should reach, and what the dashboards
    count as 未开始. Filtered by any of province, site and exam year given."""
    candidates = Candidate.objects.filter(last_entry_at__isnull=True)
    if province is not None:
        candidates = candidates.filter(province=province)
    if site is not None:
        candidates = candidates.filter(site=site)
    if exam_year is not None:
        candidates = candidates.filter(exam_year=exam_year)
    return candidates
