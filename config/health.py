"""`/healthz` for nginx, the container runtime and monitoring (django-health-check): the
database, the cache, the broker, a Celery worker (when tasks do not run in-process) and the
storage. 200 when all answer, 500 otherwise. Plain text by default; `?format=json` too.
Open without log-in: it names the checks and their state, never an address or a secret
(each check's text is the library's generic message; details go to the log)."""

import dataclasses
import datetime

from django.conf import settings
from health_check import checks as library_checks
from health_check.base import HealthCheck
from health_check.checks import Cache, Storage
from health_check.contrib.celery import Ping
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from config.celery import app


@dataclasses.dataclass
class Database(library_checks.Database):
    """The library's check, whose message would quote the driver's error, and with it the
    database host's name and address: a generic message instead (the detail is logged)."""

    def run(self):
        try:
            super().run()
        except ServiceUnavailable as exc:
            raise ServiceUnavailable("database unreachable") from exc


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis in production)."""

    timeout = datetime.timedelta(seconds=3)

    def run(self):
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise ServiceUnavailable("broker unreachable") from exc


def checks() -> list[HealthCheck]:
    found = [Database(), Cache(), Storage(), Broker()]
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        # At least one worker answers a ping (limit=1: no need to wait for the others).
        found.append(Ping(timeout=datetime.timedelta(seconds=1), limit=1))
    return found


class HealthView(HealthCheckView):
    def get_checks(self):
        # Read at each request: the settings decide whether workers exist to be pinged.
        return checks()

    def render_to_response(self, context, **response_kwargs):
        # The library's HTML page carries an inline style, which our CSP refuses: answer
        # in plain text instead (what nginx and monitoring read anyway).
        return self.render_to_response_text(response_kwargs.get("status", 200))
