import re

from django import template
from django.conf import settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.auth import current_candidate
from accounts.models import PhoneVerification, mask_phone
from notifications.selectors import latest_code_notification

register = template.Library()

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def _has_pending_code(candidate) -> bool:
    """The banner shows a code only while it could still be used."""
    latest = (
        PhoneVerification.objects.filter(candidate=candidate)
        .order_by("-created_at", "-id")
        .only("verified_at", "expires_at")
        .first()
    )
    return latest is not None and latest.verified_at is None and latest.expires_at > timezone.now()


def _latest_code(candidate) -> tuple[str, str] | None:
    """(code, phone) of the newest verification SMS of the candidate."""
    notification = latest_code_notification(candidate=candidate)
    if notification is None:
        return None
    match = _CODE.search(notification.text)
    if match is None:
        return None
    return match.group(1), notification.recipient


@register.inclusion_tag("demo/_sms_banner.html", takes_context=True)
def demo_sms_banner(context):
    """The newest SMS verification code of the session's candidate, so that a newcomer needs
    no terminal. The app is installed only in demo mode, and the tag checks it again."""
    request = context.get("request")
    code = phone = None
    if settings.YISHEN_DEMO and request is not None:
        candidate = current_candidate(request)
        if candidate is not None and _has_pending_code(candidate):
            found = _latest_code(candidate)
            if found is not None:
                code, phone = found
    return {"demo": settings.YISHEN_DEMO, "code": code, "phone": mask_phone(phone) if phone else ""}


@register.inclusion_tag("demo/_otp_banner.html", takes_context=True)
def demo_otp_banner(context):
    """What the staff member's authenticator shows now (the one being enrolled, or the one
    enrolled), so that the demo's reviewers need no phone. Demo mode only, checked again."""
    request = context.get("request")
    code = username = None
    if settings.YISHEN_DEMO and request is not None and request.user.is_authenticated:
        device = TOTPDevice.objects.filter(user=request.user).order_by("-confirmed", "pk").first()
        if device is not None:
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            code = f"{totp.token():0{device.digits}d}"
            username = request.user.get_username()
    return {"demo": settings.YISHEN_DEMO, "code": code, "username": username}
