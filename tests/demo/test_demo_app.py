"""The demo (registration stand-in, SMS banner, seed_demo) is its own app: installed where
YISHEN_DEMO is on, absent from production's defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

PROBE = """
import django
from django.apps import apps
from django.urls import Resolver404, resolve
django.setup()
try:
    resolve("/demo/registration/")
    routed = True
except Resolver404:
    routed = False
print(apps.is_installed("demo"), routed)
"""


def _probe(**env) -> str:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-the-deploy-checks",
        "YISHEN_ENTRY_SECRET": "a-test-entry-secret-long-enough-for-production",
        "DJANGO_ALLOWED_HOSTS": "yishen.example.org",
        "YISHEN_REGISTRATION_URL": "https://registration.example.org/",
        "YISHEN_ID_KEYS": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "YISHEN_ID_HASH_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        **env,
    }
    if "YISHEN_DEMO" not in env:
        environment.pop("YISHEN_DEMO", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_production_settings_neither_install_nor_route_the_demo():
    assert _probe() == "False False"


def test_production_settings_with_yishen_demo_install_and_route_it():
    assert _probe(YISHEN_DEMO="true") == "True True"


@pytest.mark.django_db
def test_test_settings_install_the_demo_as_local_does(client):
    assert client.get("/demo/registration/").status_code == 200
