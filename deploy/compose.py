"""Reads docker-compose.yml for deploy/stack.sh, so that the stack on one machine runs the
commands and the environment that compose runs, and nothing else.

    compose.py env SERVICE [--set NAME=VALUE ...] [--add NAME=VALUE ...]
        The service's environment, interpolated from this process's environment the way
        compose does (${X}, ${X:-default}, ${X:?message}, $$), NUL-separated NAME=VALUE.
        --set replaces a variable that compose sets (an address or a path: it must exist),
        --add gives one that compose leaves to the image's default (it must not exist).
    compose.py command SERVICE [--arg --name=VALUE ...]
        The service's command, NUL-separated; --arg replaces the argument of that --name
        (it must exist).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>\w+)(?:(?P<op>:-|:\?|-|\?)(?P<arg>[^}]*))?\})")


class ComposeError(Exception):
    pass


def interpolate(value: str, env: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        present = env.get(name)
        if op in (":-", ":?") and not present:
            present = None
        if present is not None:
            return present
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            raise ComposeError(f"{name}: {arg}")
        return ""

    return VARIABLE.sub(replace, value)


def service(name: str) -> dict:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    if name not in services:
        raise ComposeError(f"docker-compose.yml has no service {name!r}")
    return services[name]


def environment(name: str, env: dict[str, str], *, sets: list[str], adds: list[str]) -> dict:
    given = service(name).get("environment") or {}
    if isinstance(given, list):
        given = dict(item.split("=", 1) for item in given)
    result = {key: interpolate(str(value), env) for key, value in given.items()}
    for item in sets:
        key, _, value = item.partition("=")
        if key not in result:
            raise ComposeError(f"--set {key}: compose does not set it for {name}")
        result[key] = value
    for item in adds:
        key, _, value = item.partition("=")
        if key in result:
            raise ComposeError(f"--add {key}: compose sets it for {name}; use --set")
        result[key] = value
    return result


def command(name: str, *, args: list[str]) -> list[str]:
    words = service(name).get("command")
    if isinstance(words, str):
        raise ComposeError(f"{name}: write the command as a list in docker-compose.yml")
    words = list(words)
    for arg in args:
        option = arg.split("=", 1)[0] + "="
        matches = [i for i, word in enumerate(words) if word.startswith(option)]
        if len(matches) != 1:
            raise ComposeError(f"--arg {arg}: {name}'s command has no single {option}…")
        words[matches[0]] = arg
    return words


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["env", "command"])
    parser.add_argument("service")
    parser.add_argument("--set", dest="sets", action="append", default=[])
    parser.add_argument("--add", dest="adds", action="append", default=[])
    parser.add_argument("--arg", dest="args", action="append", default=[])
    options = parser.parse_args(argv)
    try:
        if options.what == "env":
            env = environment(
                options.service, dict(os.environ), sets=options.sets, adds=options.adds
            )
            words = [f"{key}={value}" for key, value in env.items()]
        else:
            words = command(options.service, args=options.args)
    except ComposeError as error:
        print(f"compose.py: {error}", file=sys.stderr)
        return 2
    sys.stdout.write("".join(word + "\0" for word in words))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
