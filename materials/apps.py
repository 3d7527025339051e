from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MaterialsConfig(AppConfig):
    name = "materials"
    verbose_name = _("报名材料")

    def ready(self):
        from . import receivers  # noqa: F401  # connects them; it imports models: apps are ready now
