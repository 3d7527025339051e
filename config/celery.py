import logging
import os
from functools import partial

from celery import Celery, Task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

logger = logging.getLogger(__name__)


class AfterCommitTask(Task):
    """The one way Yishen dispatches Celery work (after pretix's TransactionAwareTask).

    Inside a transaction, `.delay()` / `.apply_async()` only register the dispatch with
    `transaction.on_commit`: a worker never sees a row that is not committed yet, and a
    rolled-back change dispatches nothing. Call sites just call `.delay()`.

    A broker that cannot be reached at dispatch (Redis down) is logged, never raised: the
    change it follows is already committed, so the user must not see an error for it. Every
    such dispatch is recovered by a periodic sweep from the state stored in the database
    (a photo still PROCESSING, a message still READY); see `python manage.py sweep`.

    Outside a transaction the dispatch happens at once (`on_commit` runs it immediately in
    autocommit mode, as Django documents). Returns None either way: nothing in Yishen waits
    for a task's result."""

    def apply_async(self, args=None, kwargs=None, **options):
        transaction.on_commit(partial(self._dispatch_now, args, kwargs, **options), robust=True)

    def _dispatch_now(self, args, kwargs, **options):
        try:
            return super().apply_async(args, kwargs, **options)
        except Exception:
            # The broker is away (or refused the message): the periodic sweep sends it later.
            logger.exception("task %s: dispatch failed, the sweep will recover it", self.name)
            return None


app = Celery("yishen", task_cls=AfterCommitTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def recover_after_start(sender, **kwargs) -> None:
    """A worker that starts, first or after a crash, runs each recovery sweep once what it
    recovers is overdue (settings.YISHEN_RECOVERY_SWEEPS): the photos and messages a killed
    worker held are then taken up, and its interrupted sends marked 结果未知, within a minute
    of the restart, whatever the phase of beat (or cron)."""
    for key, seconds in settings.YISHEN_RECOVERY_SWEEPS.items():
        task = settings.CELERY_BEAT_SCHEDULE[key]["task"]
        try:
            app.send_task(task, countdown=seconds)
        except Exception:
            logger.exception("recovery sweep %s could not be queued at worker start", task)
