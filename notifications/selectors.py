"""Reads about notifications."""

from .enums import NotificationPurpose
from .models import Notification


def latest_code_notification(*, candidate) -> Notification | None:
    return (
        Notification.objects.filter(
            candidate=candidate, purpose=NotificationPurpose.VERIFICATION_CODE
        )
        .order_by("-created_at", "-id")
        .first()
    )
