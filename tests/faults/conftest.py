"""Faults made on purpose: a broker that cannot be reached, a Redis that is stopped."""

import pytest
from kombu.exceptions import OperationalError
from kombu.messaging import Producer


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Tasks are really published (not run in-process), and the broker refuses every
    message with the error kombu raises when Redis is not there. The suite's broker is the
    in-memory transport, fixed for the whole process, so the fault is injected where a
    publish meets the transport."""
    from config.celery import app

    def refused(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Producer, "publish", refused)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield
    app.conf.task_always_eager = previous
