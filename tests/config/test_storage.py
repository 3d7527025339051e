from urllib.parse import parse_qs, urlsplit

from config.storage import PrivateS3Storage


def _storage(**extra):
    return PrivateS3Storage(
        bucket_name="yishen",
        endpoint_url="http://minio:9000",
        access_key="key",
        secret_key="secret",
        region_name="us-east-1",
        querystring_expire=60,
        addressing_style="path",
        signature_version="s3v4",
        **extra,
    )


def test_s3_url_is_signed_for_the_public_host_and_short_lived():
    url = _storage(public_endpoint_url="https://yishen.example.org").url("display/abc.jpg")

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "yishen.example.org",
        "/yishen/display/abc.jpg",
    )
    assert query["X-Amz-Expires"] == ["60"]
    assert "X-Amz-Signature" in query


def test_s3_url_without_public_endpoint_is_signed_for_the_internal_host():
    url = _storage().url("display/abc.jpg")

    parts = urlsplit(url)
    assert parts.netloc == "minio:9000"
    assert "X-Amz-Signature" in parse_qs(parts.query)
