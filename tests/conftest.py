import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("YISHEN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    real_celery = os.environ.get("YISHEN_REAL_CELERY") == "1"
    have_chromium = CHROMIUM.exists()
    skip_celery = pytest.mark.skip(
        reason="needs a real Celery worker: set YISHEN_REAL_CELERY=1 with DATABASE_URL "
        "(PostgreSQL) and CELERY_BROKER_URL (Redis), as .ci/run does"
    )
    skip_browser = pytest.mark.skip(
        reason=f"needs Chromium at {CHROMIUM}: `apt-get install -y chromium` "
        "(as .ci/run does), or set YISHEN_CHROMIUM to its path"
    )
    for item in items:
        if "celery_worker" in item.keywords and not real_celery:
            item.add_marker(skip_celery)
        if "browser" in item.keywords and not have_chromium:
            item.add_marker(skip_browser)


@pytest.fixture
def client():
    """pytest-django's client, whose force_login also passes the staff's second factor
    (tests/staff.py); `force_login(user, second_factor=False)` stops after the password."""
    from tests.staff import StaffClient

    return StaffClient()


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _chinese_after_each_test():
    """A request in English (the language cookie) leaves English active in the test's thread
    after the response; the next test that renders text without a request (a command, a
    service message) would read English. Each test ends back in the default language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def real_celery_worker(transactional_db, settings):
    """A Celery worker process on the test database and the configured broker. Tasks are no
    longer run in-process while it is up."""
    from config.celery import app

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the real worker shares the test database: it needs PostgreSQL")
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=url,
        CELERY_TASK_ALWAYS_EAGER="0",
        YISHEN_TEST_MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            # The default queue and the machine pre-check's (CELERY_TASK_ROUTES).
            "--queues=celery,precheck",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
    )
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
        yield worker
    finally:
        app.conf.task_always_eager = previous
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


class _StaticFilesOnly:
    """What pytest-django's live server hands requests to: static files as runserver serves
    them, then Django itself. Django's LiveServerThread also wraps a media-files handler
    that needs a MEDIA_URL; as deployed there is none (stored files only leave through
    permission-checked views), so the application passed in (that media handler) is
    replaced by Django's own WSGI handler."""

    def __new__(cls, application):
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.handlers.wsgi import WSGIHandler

        return StaticFilesHandler(WSGIHandler())


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server (same address options), without a media URL."""
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = _StaticFilesOnly
    server.start()
    yield server
    server.stop()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Polls until predicate() is true (for work done by another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture(scope="session")
def _playwright_browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser, live_server):
    """A phone-sized Chromium page; `page.base_url` is the live server."""
    context = _playwright_browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()
