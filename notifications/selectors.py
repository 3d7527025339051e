"""Reads about notifications."""

import re

from .enums import NotificationPurpose
from .models import Notification

_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def latest_code_notification(*, candidate) -> Notification | None:
    return (
        Notification.objects.filter(
            candidate=candidate, purpose=NotificationPurpose.VERIFICATION_CODE
        )
        .order_by("-created_at", "-id")
        .first()
    )


def demo_latest_code(*, candidate) -> tuple[str, str] | None:
    """(code, phone) of the newest verification SMS of the candidate — only the demo banner
    shows it, so that a newcomer needs no terminal."""
    notification = latest_code_notification(candidate=candidate)
    if notification is None:
        return None
    match = _CODE.search(notification.text)
    if match is None:
        return None
    return match.group(1), notification.recipient
