from django.apps import apps
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from config import errors
from config.health import HealthView

admin.site.site_header = _("医审 · 考区管理")
admin.site.site_title = _("医审管理")
admin.site.index_title = _("考区管理")

urlpatterns = [
    path("", include("accounts.urls")),
    path("materials/", include("review.candidate_urls")),
    path("materials/", include("materials.urls")),
    path("review/", include("review.urls")),
    path("api/v1/", include("review.api_urls")),
    path("admin/", admin.site.urls),
    path("healthz", HealthView.as_view(), name="healthz"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (a photo opened alone).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("errors/too-large/", errors.request_too_large, name="too-large"),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

if apps.is_installed("demo"):  # YISHEN_DEMO: the registration system's stand-in
    urlpatterns.insert(0, path("", include("demo.urls")))
