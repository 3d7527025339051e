"""Delivery of a message, run by the send task and the sweep. A message is a row that moves
READY → SENDING → SENT or FAILED; the move to SENDING is a conditional update, so a message is
handed to the provider at most once however many workers run the send task. A row left
SENDING by a worker that died mid-send ends UNKNOWN (结果未知): it may have been delivered, so
it is never sent again without an operator (unless the provider deduplicates, see
backends.SmsBackend); so does a send the provider did not answer in time. A delivery receipt
(notifications_fetch_receipts) moves SENT, or UNKNOWN, to DELIVERED or UNDELIVERED.

Before the provider is called, a reminder's quiet hours and deadline are checked (one that
falls in the night waits, READY, for the morning; one too late is given up), then the
recipient's per-phone limits (a message over them waits, READY, until they allow it) and,
for a provider that sends only approved templates, the province's template for the
message's kind and language (else its Chinese one) is found. Nothing here dispatches a
task: tasks.py does (so no import circle)."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .backends import (
    AmbiguousSmsError,
    OutgoingSms,
    PermanentSmsError,
    Receipt,
    ReceiptQuery,
    SmsBackend,
    SmsError,
    TransientSmsError,
    get_sms_backend,
)
from .enums import HANDED_STATUSES, NotificationPurpose, NotificationStatus, SmsKind
from .models import Notification, SmsTemplate, template_params_parse
from .quiet import quiet_period

logger = logging.getLogger(__name__)

# Attempts before a message is given up (FAILED), and the retry delays between them.
MAX_ATTEMPTS = settings.YISHEN_SMS_MAX_ATTEMPTS
BACKOFF_SECONDS = (30, 120, 600, 1800)
# A READY message overdue by this much has lost its task (broker down at dispatch, a worker
# killed before it ran): the sweep queues it again.
LOST_AFTER = timedelta(seconds=settings.YISHEN_STUCK_AFTER_SECONDS)
# A row SENDING longer than the send task's hard time limit (plus a margin) is no longer being
# sent by anyone: its worker died between the claim and recording the provider's answer.
SENDING_STALE_AFTER = timedelta(seconds=settings.YISHEN_SMS_SENDING_STALE_SECONDS)
# A verification code not delivered by then is useless (the code expires in 5 minutes).
CODE_USELESS_AFTER = timedelta(minutes=5)
# Receipts are asked for messages sent this recently (providers keep them for days), each
# message at most once per RECEIPT_RECHECK, at most RECEIPT_BATCH messages per run (阿里云:
# one call each, well inside the task's time limit; every 5 minutes that is 288,000 a day).
RECEIPT_WINDOW = timedelta(days=3)
RECEIPT_RECHECK = timedelta(minutes=4)
RECEIPT_BATCH = 1000


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: int | None = None  # a transient error: try again this much later
    held_for: int | None = None  # the per-phone limit: due this much later


def backoff_seconds(attempts: int) -> int:
    return BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]


KEY_PREFIX = "yishen-sms-"


def sms_key(notification: Notification) -> str:
    """The message's name for the provider: the same on every attempt."""
    return f"{KEY_PREFIX}{notification.pk}"


def phone_limits() -> list[tuple[int, int, str]]:
    """(window in seconds, messages allowed, how the window is said), from the settings."""
    return [
        (60, settings.YISHEN_SMS_LIMIT_PER_MINUTE, _("每分钟")),
        (3600, settings.YISHEN_SMS_LIMIT_PER_HOUR, _("每小时")),
        (86400, settings.YISHEN_SMS_LIMIT_PER_DAY, _("每天")),
    ]


def phone_limit_wait(notification: Notification, *, now) -> tuple[float, str] | None:
    """How long the message must wait for its recipient's per-phone limits, and why; None
    when it may go now. Counts the other messages handed to the provider for the same number
    (claimed, sent, delivered or not, unknown). Checked after the claim, so two messages
    claimed at once for one number each see the other: neither exceeds the limit."""
    limits = [(window, allowed, label) for window, allowed, label in phone_limits() if allowed]
    if not limits:
        return None
    longest = max(window for window, _allowed, _label in limits)
    handed = sorted(
        Notification.objects.filter(
            recipient=notification.recipient,
            status__in=HANDED_STATUSES,
            sent_at__gt=now - timedelta(seconds=longest),
        )
        .exclude(pk=notification.pk)
        .values_list("sent_at", flat=True)
    )
    worst: tuple[float, str] | None = None
    for window, allowed, label in limits:
        inside = [moment for moment in handed if moment > now - timedelta(seconds=window)]
        if len(inside) < allowed:
            continue
        # Free once the oldest messages that fill the window have left it.
        free_at = inside[len(inside) - allowed] + timedelta(seconds=window)
        wait = max((free_at - now).total_seconds(), 1.0)
        if worst is None or wait > worst[0]:
            reason = ngettext(
                "同一号码%(window)s最多发送 %(allowed)d 条短信",
                "同一号码%(window)s最多发送 %(allowed)d 条短信",
                allowed,
            ) % {
                "window": label,
                "allowed": allowed,
            }
            worst = (wait, reason)
    return worst


def reminder_wait(notification: Notification, *, now) -> tuple[datetime | None, str] | None:
    """For a reminder (a row with quiet hours or a latest time, set by the reminder
    sender): None when it may go now; else (until when it waits, why), or (None, why) when
    it is given up: its deadline has passed, or its quiet hours end only after it (a
    reminder of a 06:00 deadline, put off past 22:00, would come after the deadline)."""
    if notification.send_before is not None and now >= notification.send_before:
        return None, _("已过提醒的截止时间（%(deadline)s），提醒短信未发送") % {
            "deadline": _local(notification.send_before)
        }
    if notification.quiet_start is None or notification.quiet_end is None:
        return None
    period = quiet_period(start=notification.quiet_start, end=notification.quiet_end, when=now)
    if period is None:
        return None
    end = period[1]
    if notification.send_before is not None and end >= notification.send_before:
        return None, _(
            "免打扰时段（%(start)s–%(end)s）结束时已过提醒的截止时间（%(deadline)s），"
            "提醒短信未发送"
        ) % {
            "start": f"{notification.quiet_start:%H:%M}",
            "end": f"{notification.quiet_end:%H:%M}",
            "deadline": _local(notification.send_before),
        }
    return end, _("免打扰时段（%(start)s–%(end)s）不发提醒短信") % {
        "start": f"{notification.quiet_start:%H:%M}",
        "end": f"{notification.quiet_end:%H:%M}",
    }


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def outgoing_sms(
    notification: Notification, backend: SmsBackend
) -> tuple[OutgoingSms, SmsTemplate | None]:
    """The message as the backend sends it, and the template used. For a provider that
    sends only approved templates: the province's template for the kind in the message's
    language, else its Chinese one (the default language: what every province registers
    first), its variables filled from the message's values; PermanentSmsError when there
    is none or a value is missing (an operator fixes the mapping and sends it again)."""
    key = sms_key(notification)
    if not backend.uses_templates:
        text = OutgoingSms(recipient=notification.recipient, text=notification.text, key=key)
        return text, None
    template = None
    if notification.kind and notification.province_code:
        languages = {notification.language, settings.LANGUAGE_CODE}
        by_language = {
            template.language: template
            for template in SmsTemplate.objects.filter(
                province_code=notification.province_code,
                kind=notification.kind,
                language__in=languages,
            )
        }
        template = by_language.get(notification.language) or by_language.get(settings.LANGUAGE_CODE)
    if template is None:
        kind = SmsKind(notification.kind).label if notification.kind else notification.purpose
        raise PermanentSmsError(
            _("考区 %(province)s 未配置“%(kind)s”短信模板，未发送")
            % {"province": notification.province_code or "—", "kind": kind}
        )
    # The values in the template's language (sms.sms_send wrote both): an English message
    # sent as the Chinese template reads wholly in Chinese, its deadline 2026年5月10日17:00.
    # A message stored before the Chinese values were kept has its own values only.
    values = notification.params or {}
    if template.language != notification.language and notification.fallback_params:
        values = notification.fallback_params
    missing = [
        field
        for _var, field in template_params_parse(template.params)
        if values.get(field) in (None, "")
    ]
    if missing:
        raise PermanentSmsError(
            _("短信缺少模板参数：%(fields)s，未发送") % {"fields": "、".join(missing)}
        )
    sms = OutgoingSms(
        recipient=notification.recipient,
        text=notification.text,
        key=key,
        template_code=template.template_code,
        sign_name=template.sign_name,
        template_params=template.template_params(values),
    )
    return sms, template


def notification_deliver(*, notification: Notification) -> DeliveryOutcome | None:
    """Claims the message (READY → SENDING) and hands it to the provider. Returns None when
    another worker has it or it is already done; otherwise what became of it. On a
    transient error the row goes back to READY, due `retry_in` seconds later; when the
    recipient's per-phone limit is reached, back to READY, due when the limit allows."""
    backend = get_sms_backend()
    now = timezone.now()
    attempts = notification.attempts
    # The claim is the last thing before the provider call (compare-and-swap on the status
    # and the attempts the caller read): a worker killed before it leaves the row READY for
    # the sweep; only one killed during the call itself leaves it SENDING.
    claimed = Notification.objects.filter(
        pk=notification.pk,
        status=NotificationStatus.READY,
        attempts=attempts,
    ).update(status=NotificationStatus.SENDING, attempts=attempts + 1, sent_at=now, updated_at=now)
    if claimed != 1:
        return None
    notification.status = NotificationStatus.SENDING
    notification.attempts = attempts + 1
    notification.sent_at = now
    # A reminder put off into the night (a retry, the per-phone limit, the sweep) waits for
    # the morning, or is given up when that would be after its deadline.
    reminder = reminder_wait(notification, now=now)
    if reminder is not None:
        until, why = reminder
        if until is None:
            _finish(notification, NotificationStatus.FAILED, error=why)
            logger.info("notification %s given up: %s", notification.pk, why)
            return DeliveryOutcome(NotificationStatus.FAILED)
        return _put_off(notification, attempts=attempts, due=until, why=why)
    waiting = phone_limit_wait(notification, now=now)
    if waiting is not None:
        return _wait_for_limit(notification, attempts=attempts, wait=waiting[0], why=waiting[1])
    try:
        sms, template = outgoing_sms(notification, backend)
        provider_id = backend.send(sms)
    except PermanentSmsError as exc:
        _finish(notification, NotificationStatus.FAILED, error=str(exc))
        logger.warning("notification %s failed permanently: %s", notification.pk, exc)
        return DeliveryOutcome(NotificationStatus.FAILED)
    except (AmbiguousSmsError, SoftTimeLimitExceeded) as exc:
        # It may have been delivered (an ambiguous answer, or the call cut off by the soft
        # time limit): never sent again without an operator, unless a delivery receipt names
        # it (the key travels as OutId / SessionContext).
        error = (
            "发送超时被中止，结果未知：可能已送达，未自动重发"
            if isinstance(exc, SoftTimeLimitExceeded)
            else str(exc)
        )
        _finish(notification, NotificationStatus.UNKNOWN, error=error)
        logger.warning("notification %s: outcome unknown: %s", notification.pk, error)
        return DeliveryOutcome(NotificationStatus.UNKNOWN)
    except Exception as exc:  # transient, or a provider bug we cannot classify: retry
        if not isinstance(exc, TransientSmsError):
            logger.exception("notification %s: unexpected provider error", notification.pk)
        if notification.attempts >= MAX_ATTEMPTS:
            _finish(notification, NotificationStatus.FAILED, error=str(exc))
            logger.warning(
                "notification %s failed after %s attempts: %s",
                notification.pk,
                notification.attempts,
                exc,
            )
            return DeliveryOutcome(NotificationStatus.FAILED)
        retry_in = backoff_seconds(notification.attempts)
        _finish(
            notification,
            NotificationStatus.READY,
            error=str(exc),
            next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
        )
        logger.info("notification %s will be retried in %ss: %s", notification.pk, retry_in, exc)
        return DeliveryOutcome(NotificationStatus.READY, retry_in=retry_in)
    _finish(notification, NotificationStatus.SENT, provider_id=provider_id, template=template)
    return DeliveryOutcome(NotificationStatus.SENT)


def _wait_for_limit(
    notification: Notification, *, attempts: int, wait: float, why: str
) -> DeliveryOutcome:
    """Back to READY, due when the limit allows, the attempt not counted (the send task
    queues it for then, or the sweep sends it once due). A verification code that would
    wait past its use is given up instead."""
    now = timezone.now()
    due = now + timedelta(seconds=wait)
    if (
        notification.purpose == NotificationPurpose.VERIFICATION_CODE
        and due > notification.created_at + CODE_USELESS_AFTER
    ):
        _finish(
            notification,
            NotificationStatus.FAILED,
            error=_("%(why)s，验证码过期前无法发送，未发送") % {"why": why},
        )
        return DeliveryOutcome(NotificationStatus.FAILED)
    return _put_off(notification, attempts=attempts, due=due, why=why)


def _put_off(
    notification: Notification, *, attempts: int, due: datetime, why: str
) -> DeliveryOutcome:
    """Back to READY, due at `due`, with the reason on the row; the attempt not counted."""
    wait = max((due - timezone.now()).total_seconds(), 0.0)
    reason = _("%(why)s，已推迟到 %(due)s 发送") % {"why": why, "due": _local(due)}
    _finish(notification, NotificationStatus.READY, error=reason, next_attempt_at=due)
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.READY).update(
        attempts=attempts
    )
    notification.attempts = attempts
    logger.info("notification %s waits %ss: %s", notification.pk, int(wait), reason)
    return DeliveryOutcome(NotificationStatus.READY, held_for=int(wait) + 1)


def _finish(
    notification: Notification,
    status: str,
    *,
    error: str = "",
    provider_id: str = "",
    template: SmsTemplate | None = None,
    next_attempt_at=None,
) -> None:
    now = timezone.now()
    fields = {"status": status, "updated_at": now, "last_error": error[:300]}
    if status == NotificationStatus.SENT:
        # Which template went, and in which language: an English message goes out as the
        # Chinese template when the province has no English one.
        fields.update(
            provider_id=(provider_id or "")[:100],
            template_code=template.template_code if template else "",
            template_language=template.language if template else "",
            last_error="",
        )
    if status in (NotificationStatus.READY, NotificationStatus.FAILED):
        # Not handed over (refused, or not sent yet): it does not count against the limits.
        fields["sent_at"] = None
    if next_attempt_at is not None:
        fields["next_attempt_at"] = next_attempt_at
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        **fields
    )
    for key, value in fields.items():
        setattr(notification, key, value)


@dataclass(frozen=True)
class Recovery:
    lost: list[int]  # READY messages overdue: their task was lost, queue them again
    dropped_codes: int
    interrupted: int


def notifications_recover_stuck(*, now=None) -> Recovery:
    """The state moves of the periodic sweep (tasks.notification_retry_stuck queues what it
    returns). READY messages overdue (their task was lost) are due again now and returned, to
    be queued again, the claim making a duplicate harmless; undelivered codes past their use
    are dropped; rows left SENDING by a dead worker become UNKNOWN, or READY again when the
    provider deduplicates on the message key."""
    now = now or timezone.now()
    dropped_codes = Notification.objects.filter(
        status=NotificationStatus.READY,
        purpose=NotificationPurpose.VERIFICATION_CODE,
        created_at__lt=now - CODE_USELESS_AFTER,
    ).update(status=NotificationStatus.FAILED, last_error="验证码已过期，未再发送", updated_at=now)
    stale_sending = Notification.objects.filter(
        status=NotificationStatus.SENDING, updated_at__lt=now - SENDING_STALE_AFTER
    )
    if get_sms_backend().idempotent:
        interrupted = stale_sending.update(
            status=NotificationStatus.READY,
            next_attempt_at=now,
            sent_at=None,
            last_error="发送中断，服务商按消息标识去重，可安全重试",
            updated_at=now,
        )
    else:
        interrupted = stale_sending.update(
            status=NotificationStatus.UNKNOWN,
            last_error="发送中断，结果未知：可能已送达，未自动重发（服务商回执可更正）",
            updated_at=now,
        )
    overdue = Notification.objects.filter(
        status=NotificationStatus.READY, next_attempt_at__lt=now - LOST_AFTER
    )
    lost = list(overdue.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:1000])
    # Queued again at most once per sweep, not once per sweep per waiting row.
    Notification.objects.filter(pk__in=lost, status=NotificationStatus.READY).update(
        next_attempt_at=now
    )
    if interrupted:
        logger.warning("notifications: %s send(s) interrupted by a dead worker", interrupted)
    return Recovery(lost=lost, dropped_codes=dropped_codes, interrupted=interrupted)


@dataclass(frozen=True)
class ReceiptRun:
    checked: int = 0
    delivered: int = 0
    undelivered: int = 0
    error: str = ""


def notifications_fetch_receipts(*, now=None) -> ReceiptRun:
    """Asks the provider for the delivery receipts of the messages sent (or of unknown
    outcome) in the last RECEIPT_WINDOW and marks each DELIVERED or UNDELIVERED. A message of
    unknown outcome (UNKNOWN) that a receipt names was handed over after all: the receipt
    settles it. A provider error is logged and reported, never raised: the next run asks
    again."""
    now = now or timezone.now()
    backend = get_sms_backend()
    if not backend.receipts:
        return ReceiptRun()
    awaiting = list(
        Notification.objects.filter(
            status__in=(NotificationStatus.SENT, NotificationStatus.UNKNOWN),
            sent_at__gte=now - RECEIPT_WINDOW,
        )
        .filter(
            Q(receipt_checked_at__isnull=True) | Q(receipt_checked_at__lt=now - RECEIPT_RECHECK)
        )
        .order_by(F("receipt_checked_at").asc(nulls_first=True), "pk")[:RECEIPT_BATCH]
    )
    if not awaiting:
        return ReceiptRun()
    queries = [
        ReceiptQuery(
            key=sms_key(row),
            recipient=row.recipient,
            provider_id=row.provider_id,
            sent_at=row.sent_at,
        )
        for row in awaiting
    ]
    try:
        receipts = backend.fetch_receipts(queries)
    except SmsError as exc:
        logger.warning("notifications: delivery receipts not fetched: %s", exc)
        return ReceiptRun(error=str(exc))
    Notification.objects.filter(pk__in=[row.pk for row in awaiting]).update(receipt_checked_at=now)
    delivered = undelivered = 0
    for receipt in receipts:
        if notification_apply_receipt(receipt=receipt, now=now):
            if receipt.delivered:
                delivered += 1
            else:
                undelivered += 1
    return ReceiptRun(checked=len(awaiting), delivered=delivered, undelivered=undelivered)


def notification_apply_receipt(*, receipt: Receipt, now=None) -> bool:
    """Marks the message the receipt names (by its key) DELIVERED or UNDELIVERED, once: only
    from SENT or UNKNOWN, by a conditional update. False when it names no such message."""
    if not receipt.key.startswith(KEY_PREFIX) or not receipt.key[len(KEY_PREFIX) :].isdigit():
        return False
    now = now or timezone.now()
    fields = {
        "status": NotificationStatus.DELIVERED
        if receipt.delivered
        else NotificationStatus.UNDELIVERED,
        "delivered_at": receipt.received_at or now,
        "last_error": receipt.error[:300],
        "updated_at": now,
    }
    if receipt.provider_id:
        fields["provider_id"] = receipt.provider_id[:100]
    return bool(
        Notification.objects.filter(
            pk=int(receipt.key[len(KEY_PREFIX) :]),
            status__in=(NotificationStatus.SENT, NotificationStatus.UNKNOWN),
        ).update(**fields)
    )
