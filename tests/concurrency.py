"""Races for the tests of concurrent use. Real row locks need PostgreSQL: on SQLite the
tests that use these are skipped (CI runs them on PostgreSQL)."""

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections


def skip_unless_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks (SELECT … FOR UPDATE): run on PostgreSQL (CI)")


def run_at_once(
    calls: list[Callable[[], object]], *, refusal: Callable[[ValidationError], str]
) -> list[str]:
    """Runs every call in a thread of its own (its own database connection), all released
    together. Each outcome is "ok", `refusal(error)` for a ValidationError, or the repr of
    anything else (which the test's assertion then shows)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes[i] = "ok"
        except ValidationError as exc:
            outcomes[i] = refusal(exc)
        except Exception as exc:
            outcomes[i] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def race_codes(calls: list[Callable[[], object]]) -> list[str]:
    """run_at_once, a refusal given by its code."""
    return run_at_once(calls, refusal=lambda exc: exc.code)


def race_messages(calls: list[Callable[[], object]]) -> list[str]:
    """run_at_once, a refusal given by the message the user would read."""
    return run_at_once(calls, refusal=lambda exc: exc.messages[0])
