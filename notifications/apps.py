from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = pgettext_lazy("plural", "通知")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check; needs the app registry)
