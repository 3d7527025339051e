"""The site's URLs and error handlers, plus one view that fails (for the 500 page)."""

from django.urls import path

from config.urls import (  # noqa: F401  (the handlers are read from this module)
    handler400,
    handler403,
    handler404,
    handler500,
    urlpatterns,
)


def fails(request):
    raise RuntimeError("a bug")


urlpatterns = [*urlpatterns, path("fails/", fails)]
