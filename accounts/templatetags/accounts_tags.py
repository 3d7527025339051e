from django import template
from django.conf import settings
from django.utils import timezone

from accounts.auth import current_candidate

register = template.Library()


def _has_pending_code(candidate) -> bool:
    """The banner shows a code only while it could still be used."""
    from accounts.models import PhoneVerification

    latest = (
        PhoneVerification.objects.filter(candidate=candidate)
        .order_by("-created_at", "-id")
        .only("verified_at", "expires_at")
        .first()
    )
    return latest is not None and latest.verified_at is None and latest.expires_at > timezone.now()


@register.inclusion_tag("accounts/_demo_banner.html", takes_context=True)
def demo_sms_banner(context):
    """Demo mode only: the newest SMS verification code of the session's candidate, so that
    a newcomer needs no terminal. Never rendered outside demo mode."""
    request = context.get("request")
    code = phone = None
    if settings.YISHEN_DEMO and request is not None:
        candidate = current_candidate(request)
        if candidate is not None and _has_pending_code(candidate):
            from notifications.selectors import demo_latest_code

            found = demo_latest_code(candidate=candidate)
            if found is not None:
                code, phone = found
    return {
        "demo": settings.YISHEN_DEMO,
        "code": code,
        "phone": f"{phone[:3]}****{phone[-4:]}" if phone else "",
    }
