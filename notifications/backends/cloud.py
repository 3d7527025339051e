"""What the SDK backends of 阿里云 (aliyun.py) and 腾讯云 (tencent.py) share: their keys read
from the settings, the endpoint setting read as an address, the provider's error codes
turned into retry or give up, a network failure into retry or 结果未知, and the provider's
times read as China time. Each provider's SDK calls and error table stay in its own file."""

import datetime as dt
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from . import PermanentSmsError, SmsBackend, SmsError, TransientSmsError, message_for_network_error

# Both providers answer in China time (UTC+8, no daylight saving).
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))


def required_settings(*names: str) -> list:
    """The values of these settings; a missing one stops the backend (the system check
    notifications.E001 reports it)."""
    values = [getattr(settings, name) for name in names]
    if not all(values):
        listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        raise ImproperlyConfigured(f"{listed} are required")
    return values


def endpoint_parts(endpoint: str) -> SplitResult:
    """A host name (https), or a whole address such as a stand-in's http://…"""
    return urlsplit(endpoint if "//" in endpoint else f"https://{endpoint}")


def china_time(text: str | None) -> dt.datetime | None:
    """A provider's "YYYY-MM-DD HH:MM:SS"; None when it gave none."""
    if not text:
        return None
    return timezone.make_aware(dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S"), CHINA_TIME)


class CloudSmsBackend(SmsBackend):
    """A provider that sends only approved templates and answers with delivery receipts.
    `provider` names it in the reasons; `errors` is its table of error codes: retry later
    (True) or give up (False), with the reason."""

    uses_templates = True
    receipts = True
    provider: str = ""
    errors: dict[str, tuple[bool, str]] = {}

    def error_for(self, code: str, message: str = "") -> SmsError:
        """The error for a provider code. An unknown code is retried (a bounded number of
        times): giving up on a passing fault would lose the message."""
        retry, reason = self.errors.get(code, (True, "服务商返回错误"))
        known = code in self.errors
        detail = (
            f"{reason}（{self.provider} {code}{'：' + message if message and not known else ''}）"
        )
        return (TransientSmsError if retry else PermanentSmsError)(detail)

    def network_error(self, text: str) -> SmsError:
        """The SDK's network failure, from its message: never connected (retry), or no
        answer (结果未知)."""
        cls = message_for_network_error(text)
        if cls is TransientSmsError:
            return TransientSmsError(f"未能连接短信服务商（{self.provider}）")
        return cls(f"短信服务商（{self.provider}）未在时限内应答，结果未知")

    def undelivered(self, code: str | None) -> str:
        return f"未送达（{self.provider} {code or ''}）"
