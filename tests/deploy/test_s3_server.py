"""deploy/s3_server.py: the stack's S3 server refuses what a private bucket refuses, whatever
moto itself would let through. Requests are signed by botocore as the web, the worker and the
browsers' signed URLs are; checked in-process through the WSGI middleware (no network)."""

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from deploy.s3_server import Refused, SignatureCheck, verify

KEY, SECRET = "stack-key", "stack-secret"
ENDPOINT = "https://127.0.0.1:8443"


def _environ(url: str, method: str = "GET", headers: dict | None = None) -> dict:
    parts = urlsplit(url)
    raw = parts.path + (f"?{parts.query}" if parts.query else "")
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": raw,
        "PATH_INFO": parts.path,
        "HTTP_HOST": parts.netloc,
        "wsgi.input": io.BytesIO(b""),
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def _presigned(key: str = "display/a.jpg", expires: int = 60, secret: str = SECRET, **params):
    client = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return client.generate_presigned_url(
        "get_object", Params={"Bucket": "yishen", "Key": key, **params}, ExpiresIn=expires
    )


def _check(environ, now=None):
    verify(environ, access_key=KEY, secret_key=SECRET, now=now or datetime.now(UTC))


def test_a_signed_url_is_accepted_with_its_response_overrides():
    url = _presigned(
        ResponseContentDisposition="inline; filename=\"yishen-1-display.jpg\"; filename*=UTF-8''x",
        ResponseCacheControl="private, no-store",
    )
    _check(_environ(url))


def test_a_signed_url_is_refused_once_expired():
    url = _presigned(expires=60)
    later = datetime.now(UTC) + timedelta(seconds=120)
    with pytest.raises(Refused, match="expired"):
        _check(_environ(url), now=later)


@pytest.mark.parametrize(
    "change",
    [
        lambda u: u.split("?")[0],  # unsigned
        lambda u: u.replace("/display/a.jpg", "/original/a.jpg"),  # another object
        lambda u: u.replace("X-Amz-Expires=60", "X-Amz-Expires=6000"),  # longer life
        lambda u: u.replace("127.0.0.1:8443", "127.0.0.1:9100"),  # another host
    ],
)
def test_a_changed_or_unsigned_url_is_refused(change):
    with pytest.raises(Refused):
        _check(_environ(change(_presigned())))


def test_a_url_signed_with_another_secret_is_refused():
    with pytest.raises(Refused, match="signature"):
        _check(_environ(_presigned(secret="guessed")))


def _header_signed(method: str, url: str, secret: str = SECRET):
    request = AWSRequest(method=method, url=url, data=b"")
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    S3SigV4Auth(Credentials(KEY, secret), "s3", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_header_signed_requests_of_the_servers_are_accepted_and_dated():
    url = "http://127.0.0.1:9100/yishen?list-type=2&prefix=display%2F"
    _check(_environ(url, headers=_header_signed("GET", url)))
    with pytest.raises(Refused, match="too far"):  # replayed an hour later
        _check(
            _environ(url, headers=_header_signed("GET", url)),
            now=datetime.now(UTC) + timedelta(hours=1),
        )
    with pytest.raises(Refused, match="signature"):
        _check(_environ(url, headers=_header_signed("GET", url, secret="guessed")))


def test_the_middleware_answers_403_and_the_fault_switch_503(tmp_path):
    calls = []

    def app(environ, start_response):
        calls.append(environ["REQUEST_METHOD"])
        start_response("200 OK", [])
        return [b"ok"]

    fault = tmp_path / "fault"
    checked = SignatureCheck(app, access_key=KEY, secret_key=SECRET, fault_file=fault)
    statuses = []

    def start_response(status, headers):
        statuses.append(status)

    assert b"".join(checked(_environ(_presigned()), start_response)) == b"ok"
    b"".join(checked(_environ(_presigned().split("?")[0]), start_response))
    fault.write_text("writes")
    url = "http://127.0.0.1:9100/yishen/display/b.jpg"
    b"".join(checked(_environ(url, "PUT", _header_signed("PUT", url)), start_response))
    assert b"".join(checked(_environ(_presigned()), start_response)) == b"ok"
    fault.write_text("all")
    b"".join(checked(_environ(_presigned()), start_response))
    assert [s.split()[0] for s in statuses] == ["200", "403", "503", "200", "503"]
    assert calls == ["GET", "GET"]
