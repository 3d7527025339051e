"""`manage.py sweep` runs every periodic job of the beat schedule, so cron alone is a
complete installation; the recovery sweeps take up work whose task was lost."""

from datetime import timedelta

import pytest
from celery.signals import task_prerun
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from materials.enums import ProcessingState
from materials.models import MaterialImage, PhotoCheck
from notifications.enums import NotificationStatus
from notifications.models import Notification
from tests.factories.materials import MaterialImageFactory
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks_run():
    names = []

    def record(sender=None, **kwargs):
        names.append(sender.name)

    task_prerun.connect(record, weak=False)
    yield names
    task_prerun.disconnect(record)


def test_sweep_runs_every_task_of_the_beat_schedule(tasks_run, capsys):
    call_command("sweep")
    scheduled = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert tasks_run == scheduled
    out = capsys.readouterr().out
    assert [line.split(" ")[0] for line in out.splitlines()] == list(settings.CELERY_BEAT_SCHEDULE)


def test_review_sweep_is_the_same_command(tasks_run):
    call_command("review_sweep")
    assert tasks_run == [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]


def test_sweep_takes_up_a_lost_photo_and_a_lost_message(
    sms_outbox, django_capture_on_commit_callbacks
):
    image = MaterialImageFactory(processed=False)
    MaterialImage.objects.filter(pk=image.pk).update(
        uploaded_at=timezone.now() - timedelta(minutes=1)
    )
    fresh = MaterialImageFactory(processed=False)  # its task may still be on its way
    message = NotificationFactory()
    Notification.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep")
    image.refresh_from_db()
    fresh.refresh_from_db()
    message.refresh_from_db()
    assert image.processing == ProcessingState.READY
    assert fresh.processing == ProcessingState.PROCESSING
    assert message.status == NotificationStatus.SENT
    assert len(sms_outbox) == 1


def test_sweep_takes_up_a_lost_precheck_and_leaves_one_on_its_way(
    django_capture_on_commit_callbacks,
):
    lost = MaterialImageFactory(precheck_due_at=timezone.now() - timedelta(minutes=1))
    fresh = MaterialImageFactory(precheck_due_at=timezone.now())  # its task is on its way
    done = MaterialImageFactory()  # checked already (nothing due)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep")
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert PhotoCheck.objects.filter(image=lost).exists() and lost.precheck_due_at is None
    assert not PhotoCheck.objects.filter(image__in=[fresh, done]).exists()
    assert fresh.precheck_due_at is not None


def test_precheck_sweep_queues_a_waiting_photo_once_per_sweep_and_a_duplicate_does_nothing(
    django_capture_on_commit_callbacks,
):
    from materials.precheck.services import photo_precheck, prechecks_overdue_take

    image = MaterialImageFactory(precheck_due_at=timezone.now() - timedelta(minutes=1))
    assert prechecks_overdue_take(older_than_seconds=20) == [image.pk]
    # The next sweep waits for the task queued now.
    assert prechecks_overdue_take(older_than_seconds=20) == []
    assert photo_precheck(image_id=image.pk, only_if_due=True) == "checked"
    assert photo_precheck(image_id=image.pk, only_if_due=True) == "done"


def test_recovery_sweeps_leave_lost_work_less_than_a_minute():
    # Worst case: the threshold, then one interval before the next sweep finds the work.
    for key, after_start in settings.YISHEN_RECOVERY_SWEEPS.items():
        entry = settings.CELERY_BEAT_SCHEDULE[key]
        assert entry["options"]["expires"] == entry["schedule"]
        assert settings.YISHEN_STUCK_AFTER_SECONDS + entry["schedule"] < 60
        # After a worker's restart, its own run comes before the minute is out.
        assert after_start < 60


def test_an_interrupted_send_is_settled_by_the_sweep_a_restarted_worker_queues():
    from notifications.tasks import notification_send

    # No live send holds a row longer than the hard limit; the restart's sweep comes later.
    assert notification_send.time_limit < settings.YISHEN_SMS_SENDING_STALE_SECONDS
    assert (
        settings.YISHEN_RECOVERY_SWEEPS["retry-stuck-notifications"]
        > settings.YISHEN_SMS_SENDING_STALE_SECONDS
    )


def test_a_starting_worker_queues_the_recovery_sweeps_after_the_threshold(monkeypatch):
    from config.celery import app, recover_after_start

    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: sent.append((name, options)))
    recover_after_start(sender=None)
    assert sent == [
        ("materials.retry_stuck_images", {"countdown": settings.YISHEN_STUCK_AFTER_SECONDS + 1}),
        (
            "materials.retry_stuck_prechecks",
            {"countdown": settings.YISHEN_STUCK_AFTER_SECONDS + 1},
        ),
        (
            "notifications.retry_stuck",
            {"countdown": settings.YISHEN_SMS_SENDING_STALE_SECONDS + 1},
        ),
    ]
