from django.apps import AppConfig


class MaterialsConfig(AppConfig):
    name = "materials"
    verbose_name = "报名材料"

    def ready(self):
        from . import receivers  # noqa: F401  # connects them; it imports models: apps are ready now
