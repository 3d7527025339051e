"""The candidate's submit and resubmit, under the material page's /materials/ prefix where
the candidate meets them (config/urls.py mounts this before materials.urls)."""

from django.urls import path

from . import candidate_views

app_name = "review_candidate"

urlpatterns = [
    path("submit/", candidate_views.submit, name="submit"),
    path("resubmit/", candidate_views.resubmit, name="resubmit"),
]
