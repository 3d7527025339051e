"""Production refuses to start with short secrets, and passes Django's deployment checks
(`check --deploy --fail-level WARNING`, as .ci/run runs it)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
LONG = "x" * 32


def _run(args: list[str], **env) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "YISHEN_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="a-django-secret-key-of-more-than-fifty-characters-0123456789",
        YISHEN_ENTRY_SECRET="an-entry-secret-of-at-least-32-bytes-0123456789",
        DJANGO_ALLOWED_HOSTS="yishen.example.org",
        YISHEN_REGISTRATION_URL="https://registration.example.org/",
        # ID-number keys: 32 bytes each, base64 (config/idkeys.py).
        YISHEN_ID_KEYS="k1:" + "A" * 43 + "=",
        YISHEN_ID_HASH_KEY="A" * 43 + "=",
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "YISHEN_ENTRY_SECRET"])
@pytest.mark.parametrize("value", ["k", "x" * 31, "密钥" * 5])
def test_production_refuses_a_short_secret_at_start(name, value):
    done = _run(["-c", "import django; django.setup()"], **{name: value})
    assert done.returncode != 0
    size = len(value.encode())
    assert f"{name} is {size} bytes long; production needs at least 32" in done.stderr


@pytest.mark.parametrize("name", ["DJANGO_SECRET_KEY", "YISHEN_ENTRY_SECRET"])
def test_production_accepts_a_secret_of_32_bytes(name):
    done = _run(["-c", "import django; django.setup()"], **{name: LONG})
    assert done.returncode == 0, done.stderr


def test_production_deploy_check_clean_at_warning_level():
    done = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert done.returncode == 0, done.stderr + done.stdout


def test_old_forwarded_for_setting_refused_with_its_replacement_named():
    done = _run(["-c", "import django; django.setup()"], YISHEN_TRUST_X_FORWARDED_FOR="true")
    assert done.returncode != 0
    assert "YISHEN_CLIENT_IP_HEADER=X-Real-IP" in done.stderr
