"""The export views: the page with the filters, and the two files (CSV and XLSX), each
sent as it is produced. One row per candidate of the asker's scope (a site reviewer their
site, a province's staff their province)."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render, resolve_url
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.enums import CandidateStatus
from accounts.models import Candidate, ExamYear, TestSite
from accounts.selectors import candidates_visible_to, staff_profile_of, staff_scope_of

from ..forms import ExportForm
from .rows import export_rows
from .writers import csv_chunks, xlsx_chunks

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _login_url() -> str:
    try:
        return resolve_url(settings.LOGIN_URL)
    except NoReverseMatch:  # the workbench log-in is not there: the admin's will do
        return resolve_url("admin:login")


def staff_required(view):
    """Reviewers, operators and national staff; anonymous users (and candidates, who are
    not Django users) go to the log-in page, other users get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), _login_url())
        if staff_scope_of(request.user).profile is None:
            raise PermissionDenied(_("只有审核人员与考区管理员可以导出审核结果。"))
        return view(request, *args, **kwargs)

    return wrapper


def export_queryset(request: HttpRequest) -> tuple[QuerySet[Candidate], str]:
    """The asker's candidates narrowed by ?site=CODE, ?status=VALUE and ?year=YYYY (the
    current exam year by default); also a short name for the file. Raises ValueError with a
    Chinese message on a malformed filter."""
    queryset = candidates_visible_to(request.user)
    profile = staff_profile_of(request.user)
    label = "all"
    if profile is not None and profile.site_id:
        label = profile.site.code
    elif profile is not None and profile.province_id:
        label = profile.province.code
    site = request.GET.get("site", "").strip()
    if site:
        # By id (see export_rows): an unknown code exports nothing.
        site_id = TestSite.objects.filter(code=site).values_list("pk", flat=True).first()
        queryset = queryset.filter(site_id=site_id) if site_id else queryset.none()
        label = site if site.isascii() and site.isalnum() else label
    status = request.GET.get("status", "").strip()
    if status:
        if status not in CandidateStatus.values:
            raise ValueError(_("未知的审核状态：%(status)s") % {"status": status})
        queryset = queryset.filter(status=status)
        label = f"{label}-{status}"
    year = request.GET.get("year", "").strip()
    if year:
        if not year.isascii() or not year.isdigit():
            raise ValueError(_("年度应为四位数字。"))
        year_id = ExamYear.objects.filter(year=int(year)).values_list("pk", flat=True).first()
        queryset = queryset.filter(exam_year_id=year_id) if year_id else queryset.none()
    else:
        current = ExamYear.objects.filter(is_current=True).values_list("pk", "year").first()
        if current is not None:
            queryset = queryset.filter(exam_year_id=current[0])
            year = str(current[1])
    if year:
        label = f"{year}-{label}"
    return queryset, label


def export_filename(label: str, extension: str) -> str:
    return f"yishen-results-{label}-{timezone.localdate():%Y%m%d}.{extension}"


def streamed(chunks, *, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _results_file(request: HttpRequest, chunks, *, content_type: str, extension: str):
    """The asker's filtered candidates as one file, written by `chunks`; a malformed filter
    is a 400 that says what is wrong."""
    try:
        queryset, label = export_queryset(request)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return streamed(
        chunks(export_rows(queryset)),
        content_type=content_type,
        filename=export_filename(label, extension),
    )


@require_GET
@staff_required
def results_csv(request: HttpRequest) -> HttpResponse:
    return _results_file(
        request, csv_chunks, content_type="text/csv; charset=utf-8", extension="csv"
    )


@require_GET
@staff_required
def results_xlsx(request: HttpRequest) -> HttpResponse:
    return _results_file(request, xlsx_chunks, content_type=XLSX_TYPE, extension="xlsx")


@require_GET
@staff_required
def export_page(request: HttpRequest) -> HttpResponse:
    profile = staff_profile_of(request.user)
    return render(
        request,
        "review/export.html",
        {"profile": profile, "form": ExportForm(profile=profile)},
    )
