"""Faults made on purpose: a broker that cannot be reached, a Redis that is stopped."""

import pytest
from kombu.exceptions import OperationalError
from kombu.messaging import Producer

from tests.notifications.conftest import sms_outbox  # noqa: F401  (fixture)
from tests.review.conftest import org  # noqa: F401  (fixture)


@pytest.fixture
def broker_down(settings, monkeypatch):
    """Tasks are really published (not run in-process), and the broker refuses every
    message with the error kombu raises when Redis is not there. The suite's broker is the
    in-memory transport, fixed for the whole process, so the fault is injected where a
    publish meets the transport. `.back()` ends the outage (tasks in-process again)."""
    from config.celery import app

    def refused(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    previous = app.conf.task_always_eager

    class Outage:
        def back(self):
            monkeypatch.setattr(Producer, "publish", original)
            app.conf.task_always_eager = previous
            # Celery 5.6 reads the Django setting over app.conf: restore both.
            settings.CELERY_TASK_ALWAYS_EAGER = previous

    original = Producer.publish
    monkeypatch.setattr(Producer, "publish", refused)
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield Outage()
    app.conf.task_always_eager = previous


def free_port():
    """A loopback port nobody listens on now: a fixed one clashed when two test runs on the
    machine each started their own redis-server on it (the second then pinged the first)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own, on a port nobody else uses; `.stop()` is the outage.
    Skipped where redis-server is not installed."""
    import shutil
    import subprocess
    import time

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server (apt-get install -y redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            if process.poll() is None:  # ours answered, not a server that held the port
                break
            raise redis.ConnectionError
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"redis-server did not start on port {port}") from None
            time.sleep(0.05)

    class OwnRedis:
        url = f"redis://127.0.0.1:{port}/0"

        def stop(self):
            process.terminate()
            process.wait(timeout=10)

    yield OwnRedis()
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_cache(own_redis, settings):
    """The cache of the deployed settings, on the suite's own Redis."""
    from config.settings.base import redis_cache

    settings.CACHES = {"default": redis_cache(own_redis.url)}
    return own_redis
