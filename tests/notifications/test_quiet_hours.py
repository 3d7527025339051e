"""A reminder's quiet hours and deadline travel on its row (set by the reminder sender,
tests/review/test_reminders.py): a send that falls in the quiet hours (a provider retry's
backoff, a wait for the per-phone limit, the sweep, an operator's resend) waits, READY, for
their end; one that could only go after the deadline it reminds of is given up. The quiet
hours here are placed around the real clock, so the tests hold at any hour."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications.backends import TransientSmsError, locmem
from notifications.enums import NotificationPurpose, NotificationStatus, SmsKind
from notifications.models import Notification
from notifications.quiet import BEIJING, quiet_period
from notifications.sending import notification_deliver
from notifications.tasks import notification_retry_stuck
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db


def _hours_around_now(before: dt.timedelta, after: dt.timedelta) -> tuple[dt.time, dt.time]:
    """Quiet hours (Beijing time, to the minute) that began `before` ago and end `after`
    from now."""
    now = timezone.now().astimezone(BEIJING)
    return (
        (now - before).time().replace(second=0, microsecond=0),
        (now + after).time().replace(second=0, microsecond=0),
    )


def _reminder(*, quiet: tuple[dt.time, dt.time] | None, deadline_in: dt.timedelta, **fields):
    return NotificationFactory(
        purpose=NotificationPurpose.REMINDER,
        kind=SmsKind.REMINDER,
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
        send_before=timezone.now() + deadline_in,
        **fields,
    )


def _deliver(notification):
    notification_deliver(notification=notification)
    notification.refresh_from_db()
    return notification


def _end_of_quiet(notification) -> dt.datetime:
    return quiet_period(
        start=notification.quiet_start, end=notification.quiet_end, when=timezone.now()
    )[1]


def test_reminder_in_its_quiet_hours_waits_for_their_end_with_its_reason(sms_outbox):
    quiet = _hours_around_now(dt.timedelta(hours=1), dt.timedelta(hours=2))
    reminder = _deliver(_reminder(quiet=quiet, deadline_in=dt.timedelta(days=1)))
    end = _end_of_quiet(reminder)
    assert (reminder.status, reminder.attempts, reminder.sent_at) == (
        NotificationStatus.READY,
        0,
        None,
    )
    assert reminder.next_attempt_at == end
    assert reminder.last_error == (
        f"免打扰时段（{quiet[0]:%H:%M}–{quiet[1]:%H:%M}）不发提醒短信，"
        f"已推迟到 {timezone.localtime(end):%Y-%m-%d %H:%M:%S} 发送"
    )
    assert sms_outbox == []


def test_provider_retry_that_falls_in_the_quiet_hours_waits_for_their_end(sms_outbox):
    # Queued in the evening (no quiet hours yet), the provider busy: a retry in 30 s.
    quiet_later = _hours_around_now(-dt.timedelta(hours=1), dt.timedelta(hours=3))
    reminder = _reminder(quiet=quiet_later, deadline_in=dt.timedelta(days=1))
    locmem.failures.append(TransientSmsError("服务商系统错误"))
    reminder = _deliver(reminder)
    assert (reminder.status, reminder.attempts) == (NotificationStatus.READY, 1)
    # The retry comes after the quiet hours began (as if 22:00 had struck meanwhile).
    quiet_now = _hours_around_now(dt.timedelta(minutes=1), dt.timedelta(hours=3))
    Notification.objects.filter(pk=reminder.pk).update(
        quiet_start=quiet_now[0], quiet_end=quiet_now[1]
    )
    reminder.refresh_from_db()
    reminder = _deliver(reminder)
    assert (reminder.status, reminder.attempts) == (NotificationStatus.READY, 1)
    assert reminder.next_attempt_at == _end_of_quiet(reminder)
    assert sms_outbox == []


def test_reminder_held_for_the_night_is_not_requeued_before_and_goes_after(
    sms_outbox, django_capture_on_commit_callbacks
):
    quiet = _hours_around_now(dt.timedelta(hours=1), dt.timedelta(hours=2))
    reminder = _deliver(_reminder(quiet=quiet, deadline_in=dt.timedelta(days=1)))
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_retry_stuck.apply().get()["requeued"] == 0
    # The morning: the quiet hours are over and the message is overdue for the sweep.
    past = _hours_around_now(dt.timedelta(hours=3), -dt.timedelta(hours=2))
    Notification.objects.filter(pk=reminder.pk).update(
        quiet_start=past[0],
        quiet_end=past[1],
        next_attempt_at=timezone.now() - dt.timedelta(minutes=5),
    )
    with django_capture_on_commit_callbacks(execute=True):
        notification_retry_stuck.apply()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (
        NotificationStatus.SENT,
        1,
        "",
    )
    assert [m.recipient for m in sms_outbox] == [reminder.recipient]


def test_reminder_whose_quiet_hours_end_after_its_deadline_is_given_up(sms_outbox):
    quiet = _hours_around_now(dt.timedelta(hours=1), dt.timedelta(hours=2))
    reminder = _deliver(_reminder(quiet=quiet, deadline_in=dt.timedelta(hours=1)))
    assert reminder.status == NotificationStatus.FAILED
    deadline = timezone.localtime(reminder.send_before)
    assert reminder.last_error == (
        f"免打扰时段（{quiet[0]:%H:%M}–{quiet[1]:%H:%M}）结束时已过提醒的截止时间"
        f"（{deadline:%Y-%m-%d %H:%M:%S}），提醒短信未发送"
    )
    assert sms_outbox == []


def test_reminder_after_its_deadline_is_given_up(sms_outbox):
    reminder = _deliver(_reminder(quiet=None, deadline_in=-dt.timedelta(minutes=1)))
    assert reminder.status == NotificationStatus.FAILED
    assert reminder.last_error.startswith("已过提醒的截止时间（")
    assert sms_outbox == []


def test_reminder_outside_its_quiet_hours_goes_at_once(sms_outbox):
    quiet = _hours_around_now(-dt.timedelta(hours=1), dt.timedelta(hours=3))
    reminder = _deliver(_reminder(quiet=quiet, deadline_in=dt.timedelta(hours=2)))
    assert reminder.status == NotificationStatus.SENT
    assert len(sms_outbox) == 1


def test_other_messages_carry_no_quiet_hours_and_go_at_night(sms_outbox):
    # A decision's SMS is sent when the reviewer decides, whatever the hour.
    result = _deliver(NotificationFactory(purpose=NotificationPurpose.RESULT))
    assert (result.quiet_start, result.quiet_end, result.send_before) == (None, None, None)
    assert result.status == NotificationStatus.SENT
