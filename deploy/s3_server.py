"""The S3-protocol server of the stack on one machine: moto's S3 (moto[server]) behind a check
of AWS Signature Version 4, as a real object store does it.

Why the check: moto answers private objects to anything that carries the word "Signature=" in
its URL and never looks at an expiry (moto 5.2: `signed_url = "Signature=" in request.url`),
and it lists a bucket to anyone. A private bucket has to refuse an unsigned, forged or
expired request, or the stack could not show that the photos are protected by their short-lived
signed URLs. So every request must carry a valid signature made with the stack's key, either in
its Authorization header (web and workers, through boto3) or in its query string (the signed
URLs that browsers follow through nginx); signed URLs must not have expired, header-signed
requests must be dated within 15 minutes (the AWS rule).

A fault switch for the fault tests (deploy/stack.sh s3-fault): while FAULT_FILE holds
"writes", every write is answered 503 (the store is up but cannot store); "all" refuses every
request the same way. The objects stay: moto keeps them in memory, and stopping the server
would lose them.

Usage: python deploy/s3_server.py HOST PORT [FAULT_FILE]  (credentials from
YISHEN_S3_ACCESS_KEY, YISHEN_S3_SECRET_KEY).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
HEADER_SIGNATURE_SKEW = timedelta(minutes=15)


class Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def _canonical_query(pairs: list[tuple[str, str]]) -> str:
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def _amz_date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Refused("AccessDenied", "X-Amz-Date is malformed") from None


def verify(environ: dict, *, access_key: str, secret_key: str, now: datetime) -> None:
    """Raises Refused unless the request is signed with (access_key, secret_key) and valid now."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
    path, _, query = raw_uri.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    params = dict(pairs)
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]

    if "X-Amz-Signature" in params:  # a signed URL
        if params.get("X-Amz-Algorithm") != ALGORITHM:
            raise Refused("AccessDenied", "Only AWS4-HMAC-SHA256 is accepted")
        credential = params.get("X-Amz-Credential", "")
        signed_headers = params.get("X-Amz-SignedHeaders", "")
        signature = params["X-Amz-Signature"]
        amz_date = params.get("X-Amz-Date", "")
        try:
            expires = int(params.get("X-Amz-Expires", ""))
        except ValueError:
            raise Refused("AccessDenied", "X-Amz-Expires is missing") from None
        if now > _amz_date(amz_date) + timedelta(seconds=expires):
            raise Refused("AccessDenied", "Request has expired")
        query_pairs = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
        payload_hash = "UNSIGNED-PAYLOAD"
    elif headers.get("authorization", "").startswith(ALGORITHM + " "):
        fields = dict(
            part.strip().split("=", 1)
            for part in headers["authorization"][len(ALGORITHM) + 1 :].split(",")
            if "=" in part
        )
        credential = fields.get("Credential", "")
        signed_headers = fields.get("SignedHeaders", "")
        signature = fields.get("Signature", "")
        amz_date = headers.get("x-amz-date", "")
        if abs(now - _amz_date(amz_date)) > HEADER_SIGNATURE_SKEW:
            raise Refused("RequestTimeTooSkewed", "The request time is too far from now")
        query_pairs = pairs
        payload_hash = headers.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
    else:
        raise Refused("AccessDenied", "Anonymous access is refused: the bucket is private")

    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise Refused("AuthorizationQueryParametersError", "The credential is malformed")
    key_id, date, region, service, _ = scope
    if key_id != access_key:
        raise Refused("InvalidAccessKeyId", "The access key is not known")
    names = [name for name in signed_headers.split(";") if name]
    if "host" not in names:
        raise Refused("AccessDenied", "The Host header must be signed")
    canonical_headers = "".join(
        f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in names
    )
    canonical_request = "\n".join(
        [
            environ["REQUEST_METHOD"],
            quote(unquote(path), safe="/~"),
            _canonical_query(query_pairs),
            canonical_headers,
            ";".join(names),
            payload_hash,
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            amz_date,
            f"{date}/{region}/{service}/aws4_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    expected = hmac.new(
        _signing_key(secret_key, date, region, service), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused("SignatureDoesNotMatch", "The signature does not match")


def _error(start_response, status: str, code: str, message: str):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    start_response(
        status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
    )
    return [body]


class SignatureCheck:
    """WSGI middleware: refuses with 403 (S3's XML error) what verify() refuses, and with 503
    what the fault switch says."""

    def __init__(self, app, *, access_key: str, secret_key: str, fault_file: Path | None = None):
        self.app = app
        self.access_key = access_key
        self.secret_key = secret_key
        self.fault_file = fault_file

    def _fault(self, method: str) -> bool:
        if self.fault_file is None:
            return False
        try:
            fault = self.fault_file.read_text().strip()
        except FileNotFoundError:
            return False
        return fault == "all" or (fault == "writes" and method in ("PUT", "POST", "DELETE"))

    def __call__(self, environ, start_response):
        if self._fault(environ["REQUEST_METHOD"]):
            return _error(
                start_response, "503 Service Unavailable", "ServiceUnavailable", "Fault injected"
            )
        try:
            verify(
                environ,
                access_key=self.access_key,
                secret_key=self.secret_key,
                now=datetime.now(UTC),
            )
        except Refused as refused:
            return _error(start_response, "403 Forbidden", refused.code, refused.message)
        return self.app(environ, start_response)


def main(argv: list[str]) -> None:
    from moto.moto_server.werkzeug_app import create_backend_app
    from moto.server import MotoRequestHandler
    from werkzeug.serving import run_simple

    host, port = argv[1], int(argv[2])
    app = SignatureCheck(
        create_backend_app("s3"),
        access_key=os.environ["YISHEN_S3_ACCESS_KEY"],
        secret_key=os.environ["YISHEN_S3_SECRET_KEY"],
        fault_file=Path(argv[3]) if len(argv) > 3 else None,
    )
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main(sys.argv)
