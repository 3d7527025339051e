"""SMS provider backends. A backend sends one text to one number and returns the provider's
message id, or raises TransientSmsError (worth retrying: timeouts, rate limits, 5xx) or
PermanentSmsError (never retried: invalid number, rejected content, bad credentials).

The backend in use is named by settings.YISHEN_SMS_BACKEND (a dotted class path)."""

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """Base of the errors a backend may raise."""


class TransientSmsError(SmsError):
    """The provider may accept the same message later."""


class PermanentSmsError(SmsError):
    """The provider will never accept this message."""


class SmsBackend:
    """The interface every provider implements.

    `key` names the message and is the same on every attempt of it. A provider that
    deduplicates on a client key (an idempotency key) never delivers the same key twice: a
    backend for such a provider passes `key` on and sets `idempotent = True`, and then a
    message whose send was interrupted is simply tried again. Without that guarantee
    (the common case: 阿里云's OutId and 腾讯云's SessionContext are only echoed back in
    receipts) an interrupted send ends UNKNOWN (结果未知) and waits for an operator."""

    idempotent: bool = False

    def send(self, recipient: str, text: str, *, key: str) -> str:  # pragma: no cover
        raise NotImplementedError


def get_sms_backend(path: str | None = None) -> SmsBackend:
    return import_string(path or settings.YISHEN_SMS_BACKEND)()


__all__ = [
    "PermanentSmsError",
    "SmsBackend",
    "SmsError",
    "TransientSmsError",
    "get_sms_backend",
]
