"""The export as an admin action (for the candidate list of the admin)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from accounts.models import Candidate

from .rows import export_rows
from .views import export_filename, streamed
from .writers import csv_chunks


@admin.action(description=gettext_lazy("导出所选考生的审核结果（CSV）"))
def export_results_action(modeladmin, request: HttpRequest, queryset: QuerySet[Candidate]):
    """For `actions = [...]` of a Candidate ModelAdmin: the selected rows (the admin already
    limits them to the operator's province) as the same streamed CSV."""
    return streamed(
        csv_chunks(export_rows(queryset)),
        content_type="text/csv; charset=utf-8",
        filename=export_filename("selected", "csv"),
    )
