"""nginx's access log (docker/nginx.conf.template) names method, path, status, size and time,
never a token: nginx is run here with the template as compose renders it, in front of a small
upstream, and asked for the links that carry one."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE = (ROOT / "docker" / "nginx.conf.template").read_text()
ENTRY_TOKEN = "eyJuYW1lIjoi546L5bCP5piOIiwiaWRfbm8iOiIxMTAxMDUxOTkwMDEwMTEyM1gifQ.c2lnbmF0dXJl"
PATH_TOKEN = "Zm9yLXRoZS13ZWxjb21lLXBhZ2U"

needs_nginx = pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")), reason="needs nginx and openssl"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def _render(values: dict[str, str]) -> str:
    """As the nginx image's entrypoint does: envsubst of the variables the filter names."""
    return re.sub(r"\$\{(YISHEN_NGINX_\w+)\}", lambda m: values[m.group(1)], TEMPLATE)


@pytest.fixture
def nginx(tmp_path):
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    http_port, https_port = _free_port(), _free_port()
    (tmp_path / "certs").mkdir()
    subprocess.run(
        [shutil.which("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-keyout", str(tmp_path / "certs" / "privkey.pem")]
        + ["-out", str(tmp_path / "certs" / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    values = dict(compose["services"]["nginx"]["environment"])
    values.update(
        YISHEN_NGINX_ADDRESS="127.0.0.1",
        YISHEN_NGINX_HTTP_PORT=str(http_port),
        YISHEN_NGINX_HTTPS_PORT=str(https_port),
        YISHEN_NGINX_WEB=f"127.0.0.1:{upstream.server_address[1]}",
        YISHEN_NGINX_S3=f"http://127.0.0.1:{upstream.server_address[1]}",
        YISHEN_NGINX_CERTS=str(tmp_path / "certs"),
        YISHEN_NGINX_STATIC_ROOT=str(tmp_path),
        YISHEN_NGINX_MEDIA_ROOT=str(tmp_path),
        YISHEN_NGINX_ACCESS_LOG=str(tmp_path / "access.log"),
    )
    (tmp_path / "site.conf").write_text(_render(values))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log warn;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log {tmp_path}/default-access.log;\n"
        + "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy"))
        + "".join(
            f"  {kind}_temp_path {tmp_path}/{kind};\n" for kind in ("fastcgi", "uwsgi", "scgi")
        )
        + f"  include {tmp_path}/site.conf;\n}}\n"
    )
    process = subprocess.Popen(
        [shutil.which("nginx"), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    context = ssl.create_default_context(cafile=str(tmp_path / "certs" / "fullchain.pem"))
    context.check_hostname = False

    def get(path: str, *, https: bool = True) -> int:
        url = (
            f"https://127.0.0.1:{https_port}{path}"
            if https
            else f"http://127.0.0.1:{http_port}{path}"
        )
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _NoRedirect
        )
        try:
            return opener.open(url, timeout=10).status
        except urllib.error.HTTPError as error:
            return error.code

    deadline = time.monotonic() + 10
    while True:
        try:
            get("/")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(process.stderr.read().decode()) from None
            time.sleep(0.1)
    get.log = tmp_path / "access.log"
    yield get
    process.terminate()
    process.wait(timeout=10)
    upstream.shutdown()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@needs_nginx
def test_nginx_access_log_names_path_and_status_but_not_the_entry_token(nginx):
    assert nginx(f"/entry/?t={ENTRY_TOKEN}") == 200
    assert nginx(f"/entry/?t={ENTRY_TOKEN}", https=False) == 301
    assert nginx(f"/m/{PATH_TOKEN}/") == 200
    assert nginx(f"/staff/welcome/{PATH_TOKEN}/") == 200
    assert nginx("/review/?page=2") == 200
    # nginx writes a request's line once the answer has gone out, so the client can be a
    # moment ahead of the log: wait for the sixth line (it failed once under load with 5).
    deadline = time.monotonic() + 5
    while len(lines := nginx.log.read_text().splitlines()) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(lines) == 6  # the readiness probe, then the five above
    text = "\n".join(lines)
    assert ENTRY_TOKEN not in text and PATH_TOKEN not in text and "?" not in text
    assert '"GET /entry/ HTTP/1.1" 200 2 ' in lines[1]
    assert '"GET /entry/ HTTP/1.1" 301 ' in lines[2]
    assert '"GET /m/-/ HTTP/1.1" 200 2 ' in lines[3]
    assert '"GET /staff/welcome/-/ HTTP/1.1" 200 2 ' in lines[4]
    assert '"GET /review/ HTTP/1.1" 200 2 ' in lines[5]
    assert lines[5].startswith("127.0.0.1 ["), lines[5]


def test_nginx_log_format_leaves_out_the_query_string_and_the_referer():
    (log_format,) = re.findall(r"log_format yishen (.*?);", TEMPLATE, re.S)
    for variable in ("$request ", "$request_uri", "$args", "$query_string", "$http_referer"):
        assert variable not in log_format + " "
    access_logs = re.findall(r"^\s*access_log (.*);", TEMPLATE, re.M)
    assert access_logs == ["${YISHEN_NGINX_ACCESS_LOG} yishen"] * TEMPLATE.count("server {")


def _token_routes(resolver=None, prefix: str = "") -> list[str]:
    routes = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _token_routes(pattern, route)
        elif isinstance(pattern, URLPattern) and "<str:token>" in route:
            routes.append(route)
    return routes


def test_every_route_with_a_token_in_its_path_is_hidden_by_the_nginx_map():
    """A new route with a token in its path must be added to the map (and to config.logs)."""
    routes = _token_routes()
    assert sorted(routes) == ["m/<str:token>/", "staff/welcome/<str:token>/"]
    for route in routes:
        prefix = route.split("<str:token>")[0]
        assert f"~^/{prefix}[^/?]+ " in TEMPLATE
