"""Tests: the embedded default unless DATABASE_URL / CELERY_BROKER_URL say otherwise (CI)."""

import tempfile

from .base import *  # noqa: F403
from .base import STORAGES, env

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
# pytest-django's live server (browser tests) wraps a media handler that needs a string
# prefix (None crashes every request). Nothing links there: photos go through views.
MEDIA_URL = "/test-media-not-linked/"
