"""SMS provider backends. A backend sends one message to one number and returns the
provider's message id, or raises one of the errors below; the send path (sending.py) turns
each into the row's state:

- TransientSmsError: worth retrying later (rate limited, the provider's system busy, the
  provider not reached at all);
- PermanentSmsError: never retried (invalid number, template or signature not approved,
  bad credentials, no balance): the row is FAILED with the reason, an operator may send it
  again after fixing the cause;
- AmbiguousSmsError: the request may have reached the provider but no answer came (a read
  timeout, a connection cut mid-answer): the message may have been delivered, so the row is
  UNKNOWN (结果未知) and never re-sent automatically; a delivery receipt that names the
  message settles it.

Every error's message is the reason in Chinese, shown on the row and in the admin.

The backend in use is named by settings.YISHEN_SMS_BACKEND (a dotted class path):
console (the default), 阿里云 (aliyun.AliyunSmsBackend), 腾讯云 (tencent.TencentSmsBackend)."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """Base of the errors a backend may raise; the message is the reason in Chinese."""


class TransientSmsError(SmsError):
    """The provider may accept the same message later."""


class PermanentSmsError(SmsError):
    """The provider will never accept this message."""


class AmbiguousSmsError(SmsError):
    """The provider may or may not have accepted the message."""


@dataclass(frozen=True)
class OutgoingSms:
    """One message as a backend sends it. A backend that sends free text uses `text`; a
    provider that sends only approved templates uses `template_code`, `sign_name` and
    `template_params` (template variable → value, in the template's order)."""

    recipient: str
    text: str
    key: str
    template_code: str = ""
    sign_name: str = ""
    template_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceiptQuery:
    """A message whose delivery receipt is awaited (SENT), or whose fate is unknown
    (UNKNOWN, no provider id)."""

    key: str
    recipient: str
    provider_id: str
    sent_at: dt.datetime


@dataclass(frozen=True)
class Receipt:
    """A provider's delivery receipt (回执) for the message named by `key`."""

    key: str
    delivered: bool
    provider_id: str = ""
    error: str = ""  # why it was not delivered, in Chinese with the provider's code
    received_at: dt.datetime | None = None


class SmsBackend:
    """The interface every provider implements.

    `key` names the message and is the same on every attempt of it. A provider that
    deduplicates on a client key (an idempotency key) never delivers the same key twice: a
    backend for such a provider sets `idempotent = True`, and then a message whose send was
    interrupted is simply tried again. Without that guarantee (阿里云's OutId and 腾讯云's
    SessionContext are not deduplicated, only echoed back in the delivery receipts) an
    interrupted send ends UNKNOWN (结果未知); the backends pass `key` there so that the
    receipt names the message and settles it.

    `uses_templates`: the provider sends only approved templates; a message of a kind with
    no template configured for its province is refused before any call.
    `receipts`: `fetch_receipts` asks the provider for delivery receipts."""

    idempotent: bool = False
    uses_templates: bool = False
    receipts: bool = False

    def send(self, sms: OutgoingSms) -> str:  # pragma: no cover
        raise NotImplementedError

    def fetch_receipts(self, queries: list[ReceiptQuery]) -> list[Receipt]:
        return []


def get_sms_backend(path: str | None = None) -> SmsBackend:
    return import_string(path or settings.YISHEN_SMS_BACKEND)()


def message_for_network_error(text: str) -> type[SmsError]:
    """The class of a network error, from the HTTP library's message (both SDKs wrap
    `requests` and keep only the message): not connected at all means the request was never
    sent (retry); anything after the connection (a read timeout, the connection cut before
    the answer) leaves the message possibly accepted."""
    not_sent = (
        "ConnectTimeout",
        "NewConnectionError",
        "Connection refused",
        "NameResolutionError",
        "Failed to resolve",
        "Name or service not known",
        "No route to host",
    )
    if any(marker in text for marker in not_sent):
        return TransientSmsError
    return AmbiguousSmsError


__all__ = [
    "AmbiguousSmsError",
    "OutgoingSms",
    "PermanentSmsError",
    "Receipt",
    "ReceiptQuery",
    "SmsBackend",
    "SmsError",
    "TransientSmsError",
    "get_sms_backend",
]
