"""Writes about candidates' accounts: the entry from the registration system, the activation
steps, phone verification, address, and the registration changes shown on the material page.
Keyword-only; a refusal is a ValidationError with a Chinese message and a code."""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .entry import EntryClaims, EntryRefusal
from .enums import CandidateEventAction
from .models import (
    Candidate,
    CandidateEvent,
    EntryNonce,
    ExamCategory,
    ExamYear,
    PhoneVerification,
    Province,
    TestSite,
)

logger = logging.getLogger(__name__)

# Phone verification limits (also shown on the page).
CODE_TTL = timedelta(seconds=settings.YISHEN_PHONE_CODE_SECONDS)
CODE_MAX_ATTEMPTS = settings.YISHEN_PHONE_CODE_MAX_ATTEMPTS
CODE_RESEND_SECONDS = settings.YISHEN_PHONE_CODE_RESEND_SECONDS
CODES_PER_HOUR = settings.YISHEN_PHONE_CODES_PER_HOUR

# The version of the consent text on the consent step (stored with the consent event).
CONSENT_VERSION = "2026-1"

CODE_SMS_TEMPLATE = gettext_lazy(
    "您的医师资格考试报名材料上传系统验证码为{code}，5分钟内有效。请勿告诉他人。"
)


def _event(candidate: Candidate, action: str, *, ip: str | None = None, **data) -> None:
    CandidateEvent.objects.create(candidate=candidate, action=action, data=data, ip_address=ip)


# --- entry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryResult:
    candidate: Candidate
    created: bool
    changes: list[dict]


def _refuse(code: str, message: str) -> ValidationError:
    return ValidationError(message, code=code)


def candidate_enter(*, claims: EntryClaims, ip: str | None = None, now=None) -> EntryResult:
    """A verified entry token arrives: use up its nonce, find or create the candidate and
    bring the registration data up to date. Refusals (replay, unknown codes, province not
    open) raise ValidationError whose code is an EntryRefusal and change nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                EntryNonce.objects.create(nonce=claims.nonce)
        except IntegrityError:
            raise _refuse(EntryRefusal.REPLAYED, _("链接已使用过")) from None

        province = Province.objects.filter(code=claims.province).first()
        if province is None:
            raise _refuse(EntryRefusal.UNKNOWN_PROVINCE, _("考区代码无法识别"))
        if not province.entry_enabled:
            raise _refuse(EntryRefusal.ENTRY_DISABLED, _("本考区尚未开放在线审核"))
        site = TestSite.objects.filter(code=claims.site, province=province).first()
        if site is None:
            raise _refuse(EntryRefusal.UNKNOWN_SITE, _("考点代码无法识别"))
        category = ExamCategory.objects.filter(code=claims.category).first()
        if category is None:
            raise _refuse(EntryRefusal.UNKNOWN_CATEGORY, _("报考类别代码无法识别"))
        exam_year, _created = ExamYear.objects.get_or_create(year=claims.year)

        candidate = (
            Candidate.objects.select_for_update()
            .filter(exam_year=exam_year, reg_no=claims.reg_no)
            .first()
        )
        if candidate is None:
            try:
                with transaction.atomic():
                    candidate = Candidate.objects.create(
                        exam_year=exam_year,
                        reg_no=claims.reg_no,
                        name=claims.name,
                        id_type=claims.id_type,
                        id_no=claims.id_no,
                        province=province,
                        site=site,
                        category=category,
                        tags=list(claims.tags),
                        last_entry_at=now,
                    )
            except IntegrityError:
                # The same candidate's other tab won the race: continue as a later entry.
                candidate = Candidate.objects.select_for_update().get(
                    exam_year=exam_year, reg_no=claims.reg_no
                )
            else:
                _event(candidate, CandidateEventAction.ENTRY_FIRST, ip=ip)
                return EntryResult(candidate=candidate, created=True, changes=[])

        changes = _apply_registration(
            candidate, claims=claims, province=province, site=site, category=category
        )
        candidate.last_entry_at = now
        update_fields = ["last_entry_at", "updated_at"]
        if changes:
            candidate.registration_changes = _merge_changes(
                candidate.registration_changes, changes, now=now
            )
            update_fields += [
                "name",
                "id_type",
                "id_no",
                "province",
                "site",
                "category",
                "tags",
                "registration_changes",
            ]
            _event(candidate, CandidateEventAction.REGISTRATION_CHANGED, ip=ip, changes=changes)
        candidate.save(update_fields=update_fields)
        _event(candidate, CandidateEventAction.ENTRY, ip=ip)
        return EntryResult(candidate=candidate, created=False, changes=changes)


def _apply_registration(
    candidate: Candidate, *, claims: EntryClaims, province, site, category
) -> list[dict]:
    """Sets the registration data from the token on the instance; returns what changed
    (shown to the candidate: ID numbers only masked)."""
    from .models import mask_id_no

    before_categories = _material_category_names(candidate)
    changes: list[dict] = []

    def change(field: str, old: str, new: str) -> None:
        if old != new:
            changes.append({"field": field, "old": old, "new": new})

    change("name", candidate.name, claims.name)
    change("id_type", candidate.id_type, claims.id_type)
    if candidate.id_no != claims.id_no:
        changes.append(
            {"field": "id_no", "old": mask_id_no(candidate.id_no), "new": mask_id_no(claims.id_no)}
        )
    change("province", str(candidate.province), str(province))
    change("site", str(candidate.site), str(site))
    change("category", str(candidate.category), str(category))
    old_tags, new_tags = list(candidate.tags or []), list(claims.tags)
    if sorted(old_tags) != sorted(new_tags):
        changes.append({"field": "tags", "old": old_tags, "new": new_tags})

    if not changes:
        return []
    candidate.name = claims.name
    candidate.id_type = claims.id_type
    candidate.id_no = claims.id_no
    candidate.province = province
    candidate.site = site
    candidate.category = category
    candidate.tags = new_tags

    if any(c["field"] in {"province", "category", "tags"} for c in changes):
        after_categories = _material_category_names(candidate)
        materials_change = {"field": "materials"}
        if before_categories is not None and after_categories is not None:
            materials_change["added"] = [n for n in after_categories if n not in before_categories]
            materials_change["removed"] = [
                n for n in before_categories if n not in after_categories
            ]
        changes.append(materials_change)
    return changes


def _material_category_names(candidate: Candidate) -> list[str] | None:
    """Names of the required material categories that apply to the candidate, when the
    materials app can say; None otherwise (the message then stays generic)."""
    try:
        from materials.selectors import categories_for_candidate
    except ImportError:
        return None
    try:
        categories = categories_for_candidate(candidate)
    except Exception:  # the message is a courtesy; never block an entry over it
        logger.exception("categories_for_candidate failed for candidate %s", candidate.pk)
        return None
    return [c.name for c in categories if getattr(c, "required", False)]


def _merge_changes(previous: list, changes: list[dict], *, now) -> list[dict]:
    """Changes not yet dismissed are merged: per field the oldest "old" and newest "new"."""
    merged: dict[str, dict] = {}
    for item in list(previous or []) + changes:
        field = item.get("field")
        if field is None:
            continue
        if field == "materials":
            prior = merged.get("materials", {"field": "materials"})
            added = list(prior.get("added", []))
            removed = list(prior.get("removed", []))
            for name in item.get("added", []):
                if name in removed:
                    removed.remove(name)
                elif name not in added:
                    added.append(name)
            for name in item.get("removed", []):
                if name in added:
                    added.remove(name)
                elif name not in removed:
                    removed.append(name)
            entry = {"field": "materials"}
            if "added" in item or "added" in prior:
                entry.update(added=added, removed=removed)
            merged["materials"] = entry
            continue
        if field in merged:
            merged[field] = {**merged[field], "new": item["new"]}
        else:
            merged[field] = dict(item)
    result = [
        {**item, "at": now.isoformat()}
        for item in merged.values()
        if item["field"] == "materials" or item.get("old") != item.get("new")
    ]
    if all(item["field"] == "materials" for item in result):
        return []
    return result


def candidate_registration_changes_dismiss(*, candidate: Candidate) -> None:
    """The candidate has read the changes on the material page."""
    Candidate.objects.filter(pk=candidate.pk).update(registration_changes=[])
    candidate.registration_changes = []


# --- activation ----------------------------------------------------------------------------


class ActivationStep:
    CONFIRM = "confirm"
    CONSENT = "consent"
    PHONE = "phone"
    ADDRESS = "address"
    DONE = "done"

    ORDER = (CONFIRM, CONSENT, PHONE, ADDRESS)


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


def _require_step(candidate: Candidate, step: str) -> None:
    current = activation_step(candidate)
    if candidate.is_activated:
        raise ValidationError(_("您已完成激活。"), code="already_activated")
    if current != step:
        raise ValidationError(_("请按顺序完成激活步骤。"), code="wrong_step")


def candidate_confirm_registration(*, candidate: Candidate, ip: str | None = None) -> Candidate:
    _require_step(candidate, ActivationStep.CONFIRM)
    now = timezone.now()
    Candidate.objects.filter(pk=candidate.pk, registration_confirmed_at__isnull=True).update(
        registration_confirmed_at=now, updated_at=now
    )
    candidate.registration_confirmed_at = now
    _event(candidate, CandidateEventAction.REGISTRATION_CONFIRMED, ip=ip)
    return candidate


def candidate_give_consent(
    *, candidate: Candidate, agreed: bool, ip: str | None = None
) -> Candidate:
    _require_step(candidate, ActivationStep.CONSENT)
    if not agreed:
        raise ValidationError(
            _("需要您同意个人信息处理规则，才能上传证件等材料照片。"), code="consent_required"
        )
    now = timezone.now()
    Candidate.objects.filter(pk=candidate.pk, consent_at__isnull=True).update(
        consent_at=now, updated_at=now
    )
    candidate.consent_at = now
    _event(candidate, CandidateEventAction.CONSENT, ip=ip, version=CONSENT_VERSION)
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
            _require_step(locked, ActivationStep.ADDRESS)
        now = timezone.now()
        locked.address = address
        fields = ["address", "updated_at"]
        activating = not locked.is_activated
        if activating:
            locked.activated_at = now
            fields.append("activated_at")
        locked.save(update_fields=fields)
        _event(locked, CandidateEventAction.ADDRESS_SET, ip=ip)
        if activating:
            _event(locked, CandidateEventAction.ACTIVATED, ip=ip)
    candidate.address = locked.address
    candidate.activated_at = locked.activated_at
    return candidate


# --- phone verification -------------------------------------------------------------------


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac("yishen.phone_code", f"{phone}:{code}", algorithm="sha256").hexdigest()


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


def phone_code_send(
    *, candidate: Candidate, phone: str, ip: str | None = None, now=None
) -> PhoneVerification:
    """Sends a six-digit code to `phone` (the activation step or a phone change). Refuses
    during the resend cool-down and beyond the hourly cap (per candidate and per number)."""
    from notifications.services import notification_create, render_sms

    from .validators import validate_mobile

    validate_mobile(phone)
    if candidate.is_activated and phone == candidate.phone:
        raise ValidationError(_("新手机号码与当前号码相同。"), code="same_phone")
    if not candidate.is_activated:
        _require_step(candidate, ActivationStep.PHONE)
    now = now or timezone.now()
    with transaction.atomic():
        # Serialise one candidate's sends so that two clicks cannot both pass the limits.
        Candidate.objects.select_for_update().filter(pk=candidate.pk).first()
        hour_ago = now - timedelta(hours=1)
        latest = (
            PhoneVerification.objects.filter(candidate=candidate).order_by("-created_at").first()
        )
        if latest is not None and latest.created_at > now - timedelta(seconds=CODE_RESEND_SECONDS):
            wait = (
                int(
                    (
                        latest.created_at + timedelta(seconds=CODE_RESEND_SECONDS) - now
                    ).total_seconds()
                )
                + 1
            )
            raise ValidationError(
                _("验证码发送过于频繁，请 %(seconds)d 秒后再获取。") % {"seconds": wait},
                code="cooldown",
            )
        sent_to_candidate = PhoneVerification.objects.filter(
            candidate=candidate, created_at__gte=hour_ago
        ).count()
        sent_to_phone = PhoneVerification.objects.filter(
            phone=phone, created_at__gte=hour_ago
        ).count()
        if sent_to_candidate >= CODES_PER_HOUR or sent_to_phone >= CODES_PER_HOUR:
            raise ValidationError(
                _("一小时内最多获取 %(count)d 次验证码，请稍后再试。") % {"count": CODES_PER_HOUR},
                code="hourly_cap",
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        verification = PhoneVerification.objects.create(
            candidate=candidate,
            phone=phone,
            code_hash=_code_hash(phone, code),
            expires_at=now + CODE_TTL,
        )
        if verification.created_at != now:
            # A caller passing `now` (tests) gets a consistent created_at.
            PhoneVerification.objects.filter(pk=verification.pk).update(created_at=now)
            verification.created_at = now
        notification_create(
            recipient=phone,
            text=render_sms(str(CODE_SMS_TEMPLATE), code=code),
            purpose="code",
            candidate=candidate,
        )
        _event(candidate, CandidateEventAction.CODE_SENT, ip=ip, phone=_mask(phone))
    return verification


def _mask(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else phone


def phone_code_verify(
    *, candidate: Candidate, code: str, ip: str | None = None, now=None
) -> Candidate:
    """Checks the code of the candidate's latest verification; on success the number becomes
    the candidate's phone. Each wrong code uses one of the attempts."""
    now = now or timezone.now()
    code = (code or "").strip()
    if not candidate.is_activated:
        _require_step(candidate, ActivationStep.PHONE)
    error: ValidationError | None = None
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(candidate=candidate)
            .order_by("-created_at", "-id")
            .first()
        )
        if verification is None or verification.verified_at is not None:
            error = ValidationError(_("请先获取验证码。"), code="no_code")
        elif verification.attempts >= CODE_MAX_ATTEMPTS:
            error = ValidationError(
                _("验证码错误次数过多，已失效，请重新获取验证码。"), code="attempts_exhausted"
            )
        elif verification.expires_at <= now:
            error = ValidationError(_("验证码已过期，请重新获取。"), code="expired")
        elif not constant_time_compare(
            verification.code_hash, _code_hash(verification.phone, code)
        ):
            # Counted in this transaction, which commits: the refusal is raised after it.
            PhoneVerification.objects.filter(pk=verification.pk).update(attempts=F("attempts") + 1)
            left = CODE_MAX_ATTEMPTS - verification.attempts - 1
            if left <= 0:
                error = ValidationError(
                    _("验证码错误次数过多，已失效，请重新获取验证码。"), code="attempts_exhausted"
                )
            else:
                error = ValidationError(
                    _("验证码不正确，还可以尝试 %(left)d 次。") % {"left": left}, code="wrong_code"
                )
        else:
            verification.verified_at = now
            verification.save(update_fields=["verified_at"])
            Candidate.objects.filter(pk=candidate.pk).update(
                phone=verification.phone, phone_verified_at=now, updated_at=now
            )
            candidate.phone = verification.phone
            candidate.phone_verified_at = now
            _event(
                candidate,
                CandidateEventAction.PHONE_VERIFIED,
                ip=ip,
                phone=_mask(verification.phone),
            )
    if error is not None:
        raise error
    return candidate


# --- staff accounts -------------------------------------------------------------------------


def staff_scope_validate(*, role: str, province, site) -> None:
    """A scope must be consistent: a site reviewer has a site (in its province), province
    roles have a province and no site, national staff neither."""
    from .enums import StaffRole

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


def staff_account_save(*, user, role: str, province, site, password: str | None, by) -> None:
    """Creates or updates a reviewer/operator account with its scope. `by` is the admin user:
    an operator may only manage reviewers of their own province."""
    from django.core.exceptions import PermissionDenied

    from .enums import StaffRole
    from .models import StaffProfile
    from .selectors import staff_profile_of

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
        StaffProfile.objects.update_or_create(
            user=user, defaults={"role": role, "province": province, "site": site}
        )


def entry_nonces_purge(*, now=None) -> int:
    """Nonces older than a token's lifetime (plus the clock allowance) can never be replayed
    (the token is refused as expired first), so their rows may go."""
    from .entry import CLOCK_SKEW_SECONDS

    now = now or timezone.now()
    horizon = now - timedelta(seconds=settings.YISHEN_ENTRY_TOKEN_SECONDS + 2 * CLOCK_SKEW_SECONDS)
    deleted, _details = EntryNonce.objects.filter(used_at__lt=horizon).delete()
    return deleted
