"""Per-phone limits, checked before each send (settings YISHEN_SMS_LIMIT_PER_MINUTE /
_PER_HOUR / _PER_DAY, by default 1, 5 and 10): a message over them waits, READY, with the
reason and the time it will go on the row; it is sent by the sweep once due."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.enums import NotificationPurpose, NotificationStatus
from notifications.models import Notification
from notifications.sending import notification_deliver
from notifications.tasks import notification_retry_stuck
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db

PHONE = "13900000001"


def _deliver(notification):
    notification_deliver(notification=notification)
    notification.refresh_from_db()
    return notification


def _handed(ago: timedelta, *, status=NotificationStatus.SENT, phone=PHONE):
    return NotificationFactory(recipient=phone, status=status, sent_at=timezone.now() - ago)


def test_phone_limit_second_message_within_a_minute_waits_with_its_reason(sms_outbox):
    first = _deliver(NotificationFactory(recipient=PHONE))
    second = _deliver(NotificationFactory(recipient=PHONE))
    assert first.status == NotificationStatus.SENT
    assert second.status == NotificationStatus.READY
    assert second.attempts == 0
    assert second.sent_at is None
    due = timezone.localtime(second.next_attempt_at)
    assert (
        abs((second.next_attempt_at - (first.sent_at + timedelta(seconds=60))).total_seconds()) < 2
    )
    assert second.last_error == (
        f"同一号码每分钟最多发送 1 条短信，已推迟到 {due:%Y-%m-%d %H:%M:%S} 发送"
    )
    assert [m.recipient for m in sms_outbox] == [PHONE]


def test_phone_limit_other_numbers_not_held(sms_outbox):
    _deliver(NotificationFactory(recipient=PHONE))
    other = _deliver(NotificationFactory(recipient="13900000002"))
    assert other.status == NotificationStatus.SENT


def test_phone_limit_waiting_message_sent_by_the_sweep_once_due(
    sms_outbox, django_capture_on_commit_callbacks
):
    first = _deliver(NotificationFactory(recipient=PHONE))
    second = _deliver(NotificationFactory(recipient=PHONE))
    # A minute later (the first left the window; the second is overdue for the sweep).
    Notification.objects.filter(pk=first.pk).update(sent_at=timezone.now() - timedelta(seconds=61))
    Notification.objects.filter(pk=second.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        notification_retry_stuck.apply()
    second.refresh_from_db()
    assert second.status == NotificationStatus.SENT
    assert second.last_error == ""
    assert len(sms_outbox) == 2


def test_phone_limit_five_an_hour(sms_outbox):
    for minutes in (50, 40, 30, 20, 10):
        _handed(timedelta(minutes=minutes))
    held = _deliver(NotificationFactory(recipient=PHONE))
    assert held.status == NotificationStatus.READY
    assert held.last_error.startswith("同一号码每小时最多发送 5 条短信")
    # Free when the oldest of the five leaves the hour: in about ten minutes.
    wait = (held.next_attempt_at - timezone.now()).total_seconds()
    assert 9 * 60 < wait <= 10 * 60
    assert sms_outbox == []


def test_phone_limit_ten_a_day(sms_outbox):
    for hours in range(20, 10, -1):
        _handed(timedelta(hours=hours))
    held = _deliver(NotificationFactory(recipient=PHONE))
    assert held.status == NotificationStatus.READY
    assert held.last_error.startswith("同一号码每天最多发送 10 条短信")


def test_phone_limit_configurable(sms_outbox, settings):
    settings.YISHEN_SMS_LIMIT_PER_MINUTE = 0  # no limit of that length
    settings.YISHEN_SMS_LIMIT_PER_HOUR = 2
    _handed(timedelta(seconds=10))
    assert _deliver(NotificationFactory(recipient=PHONE)).status == NotificationStatus.SENT
    held = _deliver(NotificationFactory(recipient=PHONE))
    assert held.last_error.startswith("同一号码每小时最多发送 2 条短信")


@pytest.mark.parametrize(
    "status",
    [
        NotificationStatus.SENT,
        NotificationStatus.DELIVERED,
        NotificationStatus.UNDELIVERED,
        NotificationStatus.UNKNOWN,
    ],
)
def test_phone_limit_counts_every_message_handed_to_the_provider(sms_outbox, status):
    _handed(timedelta(seconds=10), status=status)
    assert _deliver(NotificationFactory(recipient=PHONE)).status == NotificationStatus.READY


def test_phone_limit_refused_messages_do_not_count(sms_outbox):
    from notifications.backends import PermanentSmsError, locmem

    locmem.failures.append(PermanentSmsError("手机号码无效"))
    refused = _deliver(NotificationFactory(recipient=PHONE))
    assert refused.status == NotificationStatus.FAILED
    assert refused.sent_at is None
    assert _deliver(NotificationFactory(recipient=PHONE)).status == NotificationStatus.SENT


def test_phone_limit_code_given_up_when_it_could_only_go_after_expiry(sms_outbox):
    for minutes in (50, 40, 30, 20, 10):
        _handed(timedelta(minutes=minutes))
    code = _deliver(
        NotificationFactory(recipient=PHONE, purpose=NotificationPurpose.VERIFICATION_CODE)
    )
    assert code.status == NotificationStatus.FAILED
    assert code.last_error == ("同一号码每小时最多发送 5 条短信，验证码过期前无法发送，未发送")
    assert sms_outbox == []


def test_phone_limit_code_waits_when_it_can_still_go_in_time(sms_outbox):
    _handed(timedelta(seconds=30))
    code = _deliver(
        NotificationFactory(recipient=PHONE, purpose=NotificationPurpose.VERIFICATION_CODE)
    )
    assert code.status == NotificationStatus.READY


def test_phone_limit_held_message_queued_for_when_the_limit_allows(sms_outbox, monkeypatch):
    """On a worker the send task queues the held message with a countdown to its due time;
    run in-process (eager) it leaves it to the sweep, or it would hold it again at once."""
    from notifications.tasks import notification_send

    queued = []
    monkeypatch.setattr(notification_send, "apply_async", lambda **options: queued.append(options))
    _deliver(NotificationFactory(recipient=PHONE))
    held = NotificationFactory(recipient=PHONE)
    notification_send.apply(kwargs={"notification_id": held.pk})  # in-process
    assert queued == []
    Notification.objects.filter(pk=held.pk).update(next_attempt_at=timezone.now())
    notification_send(notification_id=held.pk)  # as a worker runs it
    (options,) = queued
    assert options["kwargs"] == {"notification_id": held.pk}
    assert 55 <= options["countdown"] <= 61
