"""/healthz: database, cache, storage and broker; open without log-in; no secrets."""

import pytest

from config.health import checks

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_part_ok_without_login(client, settings):
    settings.DATABASES["default"]["PASSWORD"] = "db-secret-password"
    response = client.get("/healthz")
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = body.splitlines()
    assert [line.split("(")[0] for line in lines] == ["Database", "Cache", "Storage", "Broker"]
    assert all(line.endswith(": OK") for line in lines)
    assert "db-secret-password" not in body
    assert "no-cache" in response["Cache-Control"]


def test_healthz_json(client):
    response = client.get("/healthz?format=json")
    assert response.status_code == 200
    assert set(response.json().values()) == {"OK"}


def test_healthz_cache_down_is_500_and_says_which(client, redis_cache):
    redis_cache.stop()
    response = client.get("/healthz")
    body = response.content.decode()
    assert response.status_code == 500
    (cache_line,) = [line for line in body.splitlines() if line.startswith("Cache")]
    assert not cache_line.endswith(": OK")
    assert redis_cache.url.rsplit(":", 1)[1].split("/")[0] not in body  # no address


def test_healthz_broker_down_is_500(client, broker_down, monkeypatch):
    from kombu import Connection

    def refused(self, *args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(Connection, "ensure_connection", refused)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "Broker(): Unavailable: broker unreachable" in response.content.decode()


def test_healthz_checks_a_worker_when_tasks_are_not_in_process(settings):
    assert "Ping" not in [type(check).__name__ for check in checks()]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert "Ping" in [type(check).__name__ for check in checks()]


def test_healthz_database_down_is_500_without_the_address(client, monkeypatch):
    from django.db import connections
    from django.db.utils import OperationalError

    def refused(*args, **kwargs):
        raise OperationalError(
            'connection to server at "db.internal" (10.0.0.7), port 5432 failed: refused'
        )

    monkeypatch.setattr(type(connections["default"]), "temporary_connection", refused)
    response = client.get("/healthz")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Database(alias='default'): Unavailable: database unreachable" in body
    assert "10.0.0.7" not in body and "db.internal" not in body
