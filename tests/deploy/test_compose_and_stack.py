"""deploy/compose.py reads docker-compose.yml for deploy/stack.sh: what the stack on one
machine runs is compose's commands and environment, changed only where the script says."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy import compose

ROOT = Path(__file__).resolve().parent.parent.parent


def test_interpolation_follows_compose_rules():
    env = {"SET": "value", "EMPTY": ""}
    assert compose.interpolate("${SET}", env) == "value"
    assert compose.interpolate("${MISSING:-fallback}", env) == "fallback"
    assert compose.interpolate("${EMPTY:-fallback}", env) == "fallback"
    assert compose.interpolate("${EMPTY-fallback}", env) == ""
    assert compose.interpolate("a$$b", env) == "a$b"
    assert compose.interpolate("redis://redis:6379/0", env) == "redis://redis:6379/0"
    with pytest.raises(compose.ComposeError, match="SECRET: set it"):
        compose.interpolate("${SECRET:?set it}", env)


def test_required_secrets_must_be_given():
    with pytest.raises(compose.ComposeError, match="DJANGO_SECRET_KEY"):
        compose.environment("web", {}, sets=[], adds=[])


def _given() -> dict[str, str]:
    return {
        "DJANGO_SECRET_KEY": "k",
        "POSTGRES_PASSWORD": "p",
        "YISHEN_ENTRY_SECRET": "e",
        "MINIO_ROOT_PASSWORD": "m",
        "YISHEN_ID_KEYS": "k",
        "YISHEN_ID_HASH_KEY": "h",
    }


def test_set_replaces_only_what_compose_sets_and_add_only_what_it_does_not():
    env = compose.environment(
        "worker",
        _given(),
        sets=["REDIS_URL=redis://127.0.0.1:6380/1"],
        adds=["DJANGO_STATIC_ROOT=/tmp/static"],
    )
    assert env["REDIS_URL"] == "redis://127.0.0.1:6380/1"
    assert env["DJANGO_STATIC_ROOT"] == "/tmp/static"
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    with pytest.raises(compose.ComposeError, match="does not set"):
        compose.environment("web", _given(), sets=["NOT_IN_COMPOSE=1"], adds=[])
    with pytest.raises(compose.ComposeError, match="use --set"):
        compose.environment("web", _given(), sets=[], adds=["REDIS_URL=x"])


def test_web_worker_and_beat_share_one_environment():
    envs = [compose.environment(s, _given(), sets=[], adds=[]) for s in ("web", "worker", "beat")]
    assert envs[0] == envs[1] == envs[2]


def test_command_arguments_are_replaced_not_added():
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    web = compose.command("web", args=["--bind=127.0.0.1:8001"])
    assert len(web) == len(raw)
    assert web == [("--bind=127.0.0.1:8001" if w.startswith("--bind=") else w) for w in raw]
    with pytest.raises(compose.ComposeError, match="no single --nope="):
        compose.command("web", args=["--nope=1"])


def test_the_cli_writes_nul_separated_words():
    done = subprocess.run(
        [sys.executable, "deploy/compose.py", "command", "worker"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    words = done.stdout.decode().split("\0")[:-1]
    assert words[:4] == ["celery", "-A", "config", "worker"]


def test_the_nginx_template_names_only_variables_compose_gives():
    import re

    template = (ROOT / "docker" / "nginx.conf.template").read_text()
    named = set(re.findall(r"\$\{(\w+)\}", template))
    nginx = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["nginx"]
    given = set(nginx["environment"])
    assert named <= given, named - given
    assert all(re.match(nginx["environment"]["NGINX_ENVSUBST_FILTER"], n) for n in named)
