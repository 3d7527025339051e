"""Tests: the settings deployments run (base.py, with the embedded default's values), and
only what must differ: eager tasks in the fast suite (CI runs a real worker), a fast password
hasher, a media folder of its own, a known entry secret. The database name comes from
DATABASE_URL (pytest-django prefixes it with test_)."""

import tempfile

from .base import *  # noqa: F403
from .base import STORAGES, env

# As deployed: the error pages are the site's own, never Django's debug pages.
DEBUG = False
YISHEN_DEMO = True
if YISHEN_DEMO:  # the demo app (registration stand-in, SMS banner, seed_demo)
    INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A real Celery worker started by the tests is told the same folder through the environment.
MEDIA_ROOT = env.str("YISHEN_TEST_MEDIA_ROOT", default="") or tempfile.mkdtemp(
    prefix="yishen-test-media-"
)
STORAGES["default"]["OPTIONS"]["location"] = MEDIA_ROOT
YISHEN_ENTRY_SECRET = "test-entry-secret"
# MEDIA_URL stays None, as deployed: no stored file has a URL. The browser tests' live
# server is adjusted for that in tests/conftest.py (live_server).
