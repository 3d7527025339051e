"""Private S3-compatible storage (MinIO, OSS, COS) for the production stack."""

from functools import cached_property

import boto3
from botocore.config import Config
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PrivateS3Storage(S3Storage):
    """Objects are private; `url()` is a short-lived signed URL. The web and worker
    containers reach the store at an internal address (endpoint_url) while browsers reach it
    through nginx (public_endpoint_url): URLs are signed for the public host."""

    def __init__(self, *, public_endpoint_url: str | None = None, **settings):
        self.public_endpoint_url = public_endpoint_url
        super().__init__(**settings)

    @cached_property
    def _public_client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.public_endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def url(self, name, parameters=None, expire=None, http_method=None):
        if not self.public_endpoint_url:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        params = dict(parameters or {})
        params.update(Bucket=self.bucket_name, Key=self._normalize_name(clean_name(name)))
        return self._public_client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=expire if expire is not None else self.querystring_expire,
        )
