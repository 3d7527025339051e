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
    """The interface every provider implements."""

    def send(self, recipient: str, text: str) -> str:  # pragma: no cover - interface
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
