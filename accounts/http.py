from django.conf import settings


def client_ip(request) -> str | None:
    """The address recorded in the audit trail."""
    if settings.YISHEN_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
