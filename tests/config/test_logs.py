"""The project's logs leave out what a link carries: the entry token (name and ID number), the
token in a hand-off or staff welcome path. Checked on the lines the configured handler writes,
from a real development server (`manage.py runserver`'s request handler) in front of the
project."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.wsgi import get_wsgi_application

from config.logs import without_tokens

ROOT = Path(__file__).resolve().parent.parent.parent
ENTRY_TOKEN = "eyJuYW1lIjoi546L5bCP5piOIiwiaWRfbm8iOiIxMTAxMDUxOTkwMDEwMTEyM1gifQ.c2lnbmF0dXJl"
PATH_TOKEN = "Zm9yLXRoZS13ZWxjb21lLXBhZ2U"


@contextmanager
def console_output():
    """What the project's one log handler writes, while the block runs."""
    (handler,) = logging.getLogger().handlers[:1]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.fixture
def dev_server(transactional_db):
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def get(path: str) -> int:
        url = f"http://127.0.0.1:{server.server_address[1]}{path}"
        try:
            return urllib.request.urlopen(url, timeout=20).status
        except urllib.error.HTTPError as error:
            return error.code

    yield get
    server.shutdown()
    server.server_close()


def test_dev_server_log_names_the_entry_path_and_status_but_not_the_token(dev_server):
    with console_output() as output:
        assert dev_server(f"/entry/?t={ENTRY_TOKEN}") == 403
        assert dev_server("/healthz") == 200  # handled after the line of the first is written
    text = output.getvalue()
    assert 'INFO django.server "GET /entry/ HTTP/1.1" 403' not in text  # a 4xx is a warning
    assert 'WARNING django.server "GET /entry/ HTTP/1.1" 403 ' in text
    assert "WARNING django.request Forbidden: /entry/" in text
    assert ENTRY_TOKEN not in text and "?t=" not in text


def test_dev_server_log_hides_the_token_of_a_staff_welcome_and_a_handoff_path(dev_server):
    with console_output() as output:
        assert dev_server(f"/staff/welcome/{PATH_TOKEN}/") == 410
        assert dev_server(f"/m/{PATH_TOKEN}/") == 404
        assert dev_server("/healthz") == 200
    text = output.getvalue()
    assert '"GET /staff/welcome/-/ HTTP/1.1" 410 ' in text
    assert "Gone: /staff/welcome/-/" in text
    assert '"GET /m/-/ HTTP/1.1" ' in text
    assert PATH_TOKEN not in text


def test_each_line_is_written_once():
    """Django's own default handlers would print the django.request lines a second time."""
    with console_output() as output:
        logging.getLogger("django.request").warning("Forbidden: %s", f"/m/{PATH_TOKEN}/")
    assert output.getvalue().count("Forbidden: /m/-/") == 1


def test_without_tokens_keeps_what_operators_read():
    assert without_tokens(f"GET /entry/?t={ENTRY_TOKEN} HTTP/1.1") == "GET /entry/ HTTP/1.1"
    assert without_tokens("GET /review/?page=2&q=%E7%8E%8B HTTP/1.1") == "GET /review/ HTTP/1.1"
    assert without_tokens(f"/staff/welcome/{PATH_TOKEN}/") == "/staff/welcome/-/"
    assert without_tokens("/materials/image/12/thumb/") == "/materials/image/12/thumb/"


def test_manage_py_commands_print_no_axes_banner_but_axes_warnings_are_kept():
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout == "System check identified no issues (0 silenced).\n"
    assert "AXES" not in done.stderr
    with console_output() as output:
        logging.getLogger("axes.handlers").warning("AXES: Locked out")
    assert "Locked out" in output.getvalue()
