"""A system check: the SMS backend chosen by YISHEN_SMS_BACKEND can be built with the
settings it needs (e.g. the provider's access keys), so that a deployment missing them
fails at `manage.py migrate` / `check`, not at the first message."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .backends import get_sms_backend


@register()
def sms_backend_configured(app_configs, **kwargs) -> list[Error]:
    try:
        get_sms_backend()
    except (ImproperlyConfigured, ImportError) as exc:
        return [
            Error(
                f"The SMS backend cannot be used: {exc}",
                hint="See docs/operations.md, 2.4 短信服务商与模板.",
                id="notifications.E001",
            )
        ]
    return []
