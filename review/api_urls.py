"""/api/v1/: the results and roster APIs for the registration system and the results exports."""

from django.urls import path

from .api import roster as roster_api
from .api import views as api
from .exports import views as exports

app_name = "api"

urlpatterns = [
    path("results", api.results, name="results"),
    path("roster", roster_api.roster, name="roster"),
    path("exports/", exports.export_page, name="exports"),
    path("exports/results.csv", exports.results_csv, name="results_csv"),
    path("exports/results.xlsx", exports.results_xlsx, name="results_xlsx"),
]
