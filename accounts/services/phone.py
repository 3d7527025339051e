"""Phone verification: a six-digit code sent by SMS, checked with a limited number of tries,
under a resend cool-down and an hourly cap (the limits are in accounts.selectors)."""

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.sms import SmsKind, sms_send

from ..enums import ActivationStep, CandidateEventAction
from ..models import Candidate, PhoneVerification, mask_phone
from ..selectors import CODE_MAX_ATTEMPTS, CODE_RESEND_SECONDS, CODE_TTL, CODES_PER_HOUR
from ..validators import validate_mobile
from .activation import activation_step_require
from .events import candidate_event_create


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac("yishen.phone_code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def phone_code_send(
    *, candidate: Candidate, phone: str, ip: str | None = None, now=None
) -> PhoneVerification:
    """Sends a six-digit code to `phone` (the activation step or a phone change). Refuses
    during the resend cool-down and beyond the hourly cap (per candidate and per number)."""
    validate_mobile(phone)
    if candidate.is_activated and phone == candidate.phone:
        raise ValidationError(_("新手机号码与当前号码相同。"), code="same_phone")
    if not candidate.is_activated:
        activation_step_require(candidate=candidate, step=ActivationStep.PHONE)
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
                ngettext(
                    "验证码发送过于频繁，请 %(seconds)d 秒后再获取。",
                    "验证码发送过于频繁，请 %(seconds)d 秒后再获取。",
                    wait,
                )
                % {"seconds": wait},
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
                ngettext(
                    "一小时内最多获取 %(count)d 次验证码，请稍后再试。",
                    "一小时内最多获取 %(count)d 次验证码，请稍后再试。",
                    CODES_PER_HOUR,
                )
                % {"count": CODES_PER_HOUR},
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
        sms_send(kind=SmsKind.CODE, candidate=candidate, recipient=phone, code=code)
        candidate_event_create(
            candidate=candidate,
            action=CandidateEventAction.CODE_SENT,
            ip=ip,
            phone=mask_phone(phone),
        )
    return verification


def phone_code_verify(
    *, candidate: Candidate, code: str, ip: str | None = None, now=None
) -> Candidate:
    """Checks the code of the candidate's latest verification; on success the number becomes
    the candidate's phone. Each wrong code uses one of the attempts."""
    now = now or timezone.now()
    code = (code or "").strip()
    if not candidate.is_activated:
        activation_step_require(candidate=candidate, step=ActivationStep.PHONE)
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
                    ngettext(
                        "验证码不正确，还可以尝试 %(left)d 次。",
                        "验证码不正确，还可以尝试 %(left)d 次。",
                        left,
                    )
                    % {"left": left},
                    code="wrong_code",
                )
        else:
            verification.verified_at = now
            verification.save(update_fields=["verified_at"])
            Candidate.objects.filter(pk=candidate.pk).update(
                phone=verification.phone, phone_verified_at=now, updated_at=now
            )
            candidate.phone = verification.phone
            candidate.phone_verified_at = now
            candidate_event_create(
                candidate=candidate,
                action=CandidateEventAction.PHONE_VERIFIED,
                ip=ip,
                phone=mask_phone(verification.phone),
            )
    if error is not None:
        raise error
    return candidate
