"""The embedded default of `make run`: SQLite, files under var/, tasks in-process, console SMS."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

# The SQLite file and the uploaded photos live here; a fresh clone does not have it yet.
VAR_DIR.mkdir(exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
YISHEN_DEMO = env.bool("YISHEN_DEMO", default=True)
if YISHEN_DEMO:  # the demo app (registration stand-in, SMS banner, seed_demo)
    INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
