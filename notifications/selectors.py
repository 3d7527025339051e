"""Reads about notifications."""

from django.db.models import Count, Q, QuerySet

from .enums import NotificationPurpose, NotificationStatus
from .models import Notification


def latest_code_notification(*, candidate) -> Notification | None:
    return (
        Notification.objects.filter(
            candidate=candidate, purpose=NotificationPurpose.VERIFICATION_CODE
        )
        .order_by("-created_at", "-id")
        .first()
    )


def sms_delivery_by_province(*, messages: QuerySet[Notification]) -> list[dict]:
    """Per province code (of the messages given, e.g. those a reviewer may see): how many
    were sent and what their receipts said. `rate` is the share delivered among those with
    a receipt (None before any receipt); messages still waiting for one are `awaiting`."""
    rows = (
        messages.exclude(province_code="")
        .values("province_code")
        .annotate(
            delivered=Count("pk", filter=Q(status=NotificationStatus.DELIVERED)),
            undelivered=Count("pk", filter=Q(status=NotificationStatus.UNDELIVERED)),
            awaiting=Count("pk", filter=Q(status=NotificationStatus.SENT)),
            unknown=Count("pk", filter=Q(status=NotificationStatus.UNKNOWN)),
            failed=Count("pk", filter=Q(status=NotificationStatus.FAILED)),
        )
        .order_by("province_code")
    )
    result = []
    for row in rows:
        receipted = row["delivered"] + row["undelivered"]
        result.append(
            {
                **row,
                "sent": receipted + row["awaiting"],
                "rate": row["delivered"] / receipted if receipted else None,
            }
        )
    return result
