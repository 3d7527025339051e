from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo: the registration system's stand-in, the SMS-code banner and the demo data
    (`manage.py seed_demo`). Installed only where YISHEN_DEMO is on (config/settings), never
    by production's default."""

    name = "demo"
    verbose_name = _("演示")
