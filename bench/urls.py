"""Production's URLs plus the bare upload view, for bench/upload.py only."""

from django.urls import path

from config.urls import urlpatterns as production_urlpatterns

from .views import bare_upload

urlpatterns = [
    *production_urlpatterns,
    path("bench/bare-upload/", bare_upload),
]
