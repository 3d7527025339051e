"""Production's URLs plus the two baselines of the upload, for bench/upload.py only."""

from django.urls import path

from config.urls import urlpatterns as production_urlpatterns

from .views import bare_upload, floor_upload

urlpatterns = [
    *production_urlpatterns,
    path("bench/bare-upload/", bare_upload),
    path("bench/floor-upload/", floor_upload),
]
