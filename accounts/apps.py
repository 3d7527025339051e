from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("考务组织与考生")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import staff_session_started  # it imports services: apps are ready

        user_logged_in.connect(staff_session_started, dispatch_uid="accounts-staff-session")
