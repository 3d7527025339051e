from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.backends import OutgoingSms, PermanentSmsError, TransientSmsError, locmem
from notifications.enums import NotificationPurpose, NotificationStatus
from notifications.models import Notification
from notifications.sending import MAX_ATTEMPTS, notifications_recover_stuck
from notifications.services import notification_create, notification_requeue
from notifications.sms import sms_render
from notifications.tasks import notification_retry_stuck, notification_send
from tests.factories.accounts import CandidateFactory
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db


def _overdue(notification, **delta):
    """As if the message had been due that long ago (its task lost meanwhile)."""
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - timedelta(**delta)
    )


def _sweep() -> dict:
    return notification_retry_stuck.apply().get()


def test_notification_create_sends_once_committed(sms_outbox, django_capture_on_commit_callbacks):
    candidate = CandidateFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_create(
            recipient="13900000001", text="您好", purpose="result", candidate=candidate
        )
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 1
    assert notification.provider_id == sms_outbox[0].provider_id
    assert notification.sent_at is not None
    assert [(m.recipient, m.text) for m in sms_outbox] == [("13900000001", "您好")]


def test_notification_create_nothing_sent_before_commit(
    sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_create(recipient="13900000001", text="您好", purpose="result")
    assert sms_outbox == []
    assert len(callbacks) == 1


def test_notification_create_same_event_key_sends_once(
    sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = notification_create(
            recipient="13900000001", text="一", purpose="result", event_key="decision:1"
        )
        second = notification_create(
            recipient="13900000001", text="二", purpose="result", event_key="decision:1"
        )
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert [m.text for m in sms_outbox] == ["一"]


def test_notification_create_unknown_purpose_refused():
    with pytest.raises(ValueError):
        notification_create(recipient="13900000001", text="x", purpose="spam")


def test_notification_send_twice_sends_once(sms_outbox):
    notification = NotificationFactory()
    notification_send.apply(kwargs={"notification_id": notification.pk})
    notification_send.apply(kwargs={"notification_id": notification.pk})
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 1
    assert len(sms_outbox) == 1


def test_notification_send_claimed_row_is_left_alone(sms_outbox):
    notification = NotificationFactory(status=NotificationStatus.SENDING)
    notification_send.apply(kwargs={"notification_id": notification.pk})
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING
    assert sms_outbox == []


def test_notification_send_missing_row_is_quiet(sms_outbox):
    notification_send.apply(kwargs={"notification_id": 987654})
    assert sms_outbox == []


def test_notification_send_transient_error_retried_then_sent(
    sms_outbox, django_capture_on_commit_callbacks
):
    locmem.failures.extend([TransientSmsError("timeout"), TransientSmsError("busy")])
    notification = NotificationFactory()
    # Eager: the retry scheduled with a countdown runs at once (once "committed").
    with django_capture_on_commit_callbacks(execute=True):
        notification_send.apply(kwargs={"notification_id": notification.pk})
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 3
    assert len(sms_outbox) == 1


def test_notification_send_transient_errors_fail_after_max_attempts(
    sms_outbox, django_capture_on_commit_callbacks
):
    locmem.failures.extend(TransientSmsError("timeout") for _ in range(MAX_ATTEMPTS + 3))
    notification = NotificationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send.apply(kwargs={"notification_id": notification.pk})
    # Two quick retries ride on countdowns; the 600 s wait is longer than the broker may
    # hold a message, so the row waits in the database for the sweep.
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.READY, 3)
    for _ in range(MAX_ATTEMPTS):
        _overdue(notification, hours=1)
        with django_capture_on_commit_callbacks(execute=True):
            _sweep()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == MAX_ATTEMPTS
    assert notification.last_error == "timeout"
    assert sms_outbox == []


def test_notification_retry_waits_until_due(sms_outbox, django_capture_on_commit_callbacks):
    locmem.failures.extend(TransientSmsError("timeout") for _ in range(3))
    notification = NotificationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send.apply(kwargs={"notification_id": notification.pk})
    notification.refresh_from_db()
    assert notification.next_attempt_at > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        result = _sweep()
    assert result["requeued"] == 0
    _overdue(notification, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        result = _sweep()
    notification.refresh_from_db()
    assert result["requeued"] == 1
    assert notification.status == NotificationStatus.SENT
    assert len(sms_outbox) == 1


def test_notification_send_cut_off_by_the_time_limit_is_unknown_never_resent(
    sms_outbox, django_capture_on_commit_callbacks
):
    from celery.exceptions import SoftTimeLimitExceeded

    locmem.failures.append(SoftTimeLimitExceeded())
    notification = NotificationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send.apply(kwargs={"notification_id": notification.pk})
        _overdue(notification, hours=1)
        _sweep()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.UNKNOWN
    assert notification.get_status_display() == "结果未知"
    assert notification.attempts == 1
    assert sms_outbox == []


def test_notification_send_permanent_error_not_retried(sms_outbox):
    locmem.failures.append(PermanentSmsError("空号"))
    notification = NotificationFactory()
    notification_send.apply(kwargs={"notification_id": notification.pk})
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == 1
    assert notification.last_error == "空号"


def test_notification_retry_stuck_requeues_lost_ready_rows(
    sms_outbox, django_capture_on_commit_callbacks
):
    notification = NotificationFactory()
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = notification_retry_stuck.apply().get()
    notification.refresh_from_db()
    assert result["requeued"] == 1
    assert notification.status == NotificationStatus.SENT
    assert len(sms_outbox) == 1


def _stale(notification, **delta):
    Notification.objects.filter(pk=notification.pk).update(
        updated_at=timezone.now() - timedelta(**delta)
    )


def test_notification_retry_stuck_interrupted_send_is_unknown_never_resent(sms_outbox):
    notification = NotificationFactory(status=NotificationStatus.SENDING, attempts=1)
    _stale(notification, minutes=2)
    result = _sweep()
    notification.refresh_from_db()
    assert result["interrupted"] == 1
    assert notification.status == NotificationStatus.UNKNOWN
    assert notification.get_status_display() == "结果未知"
    # Later sweeps leave it alone: it is never sent blindly.
    notifications_recover_stuck(now=timezone.now() + timedelta(days=1))
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.UNKNOWN
    assert sms_outbox == []


def test_notification_retry_stuck_leaves_a_send_in_progress(sms_outbox):
    notification = NotificationFactory(status=NotificationStatus.SENDING, attempts=1)
    # A send may hold the row up to its hard time limit.
    _stale(notification, seconds=settings.YISHEN_SMS_SEND_TIME_LIMIT)
    notifications_recover_stuck()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENDING


def test_notification_retry_stuck_interrupted_send_retried_when_provider_deduplicates(
    sms_outbox, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(locmem.LocmemSmsBackend, "idempotent", True)
    notification = NotificationFactory()
    # The provider got the message, then the worker died before recording the answer.
    locmem.LocmemSmsBackend().send(
        OutgoingSms(
            recipient=notification.recipient,
            text=notification.text,
            key=f"yishen-sms-{notification.pk}",
        )
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, attempts=1
    )
    _stale(notification, minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        _sweep()
    _overdue(notification, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        _sweep()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_id == sms_outbox[0].provider_id
    assert len(sms_outbox) == 1


def test_notification_retry_stuck_requeues_a_lost_row_once_per_sweep(
    sms_outbox, django_capture_on_commit_callbacks
):
    notification = NotificationFactory()
    Notification.objects.filter(pk=notification.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    # The broker is still away: the task is lost again; the row is not queued twice a minute.
    with django_capture_on_commit_callbacks(execute=False):
        first = notifications_recover_stuck()
        second = notifications_recover_stuck()
    assert (len(first.lost), len(second.lost)) == (1, 0)


def test_notification_retry_stuck_drops_old_codes(sms_outbox):
    notification = NotificationFactory(purpose=NotificationPurpose.VERIFICATION_CODE)
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=20),
        updated_at=timezone.now() - timedelta(minutes=20),
    )
    notifications_recover_stuck()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert sms_outbox == []


def test_notification_requeue_only_failed(sms_outbox, django_capture_on_commit_callbacks):
    failed = NotificationFactory(status=NotificationStatus.FAILED, attempts=5)
    sent = NotificationFactory(status=NotificationStatus.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_requeue(notification=failed) is True
        assert notification_requeue(notification=sent) is False
    failed.refresh_from_db()
    assert failed.status == NotificationStatus.SENT
    assert len(sms_outbox) == 1


def test_notification_requeue_unknown_only_when_confirmed(
    sms_outbox, django_capture_on_commit_callbacks
):
    unknown = NotificationFactory(status=NotificationStatus.UNKNOWN, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_requeue(notification=unknown) is False
    unknown.refresh_from_db()
    assert unknown.status == NotificationStatus.UNKNOWN
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_requeue(notification=unknown, unknown_confirmed=True) is True
    unknown.refresh_from_db()
    assert unknown.status == NotificationStatus.SENT
    assert len(sms_outbox) == 1


def test_notification_requeue_never_resends_a_code(sms_outbox):
    code = NotificationFactory(
        status=NotificationStatus.FAILED, purpose=NotificationPurpose.VERIFICATION_CODE
    )
    assert notification_requeue(notification=code, unknown_confirmed=True) is False


def test_sms_render_fills_known_placeholders():
    text = sms_render(
        "请在{hours}小时之内处理，{name}（{reg_no}），{unknown}，{code}",
        hours=24,
        name="张三",
        reg_no="2026001",
        code=None,
    )
    assert text == "请在24小时之内处理，张三（2026001），{unknown}，{code}"


def test_sms_render_formats_deadline_in_local_time():
    deadline = datetime(2026, 5, 1, 1, 30, tzinfo=UTC)
    assert sms_render("将于{deadline}截止", deadline=deadline) == "将于2026年5月1日09:30截止"


def test_sms_render_stray_braces_kept():
    assert sms_render("{ 注意 } {}", hours=1) == "{ 注意 } {}"


def test_console_backend_logs_message(settings, caplog):
    from notifications.backends.console import ConsoleSmsBackend

    with caplog.at_level("INFO", logger="notifications.sms"):
        provider_id = ConsoleSmsBackend().send(
            OutgoingSms(recipient="13900000001", text="验证码 123456", key="yishen-sms-1")
        )
    assert provider_id.startswith("console-")
    assert "验证码 123456" in caplog.text
