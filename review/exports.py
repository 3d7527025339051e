"""Results export for operators and reviewers: CSV (streamed) and XLSX, one row per candidate
of the asker's scope (a site reviewer their site, a province's staff their province).

Large provinces hold a couple of hundred thousand candidates, so rows are read by keyset
batches (id > last, a fixed batch size): memory stays flat and no server-side cursor is
held open between two chunks of the response."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime
from functools import wraps
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render, resolve_url
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.enums import CandidateStatus, StaffRole
from accounts.models import Candidate, ExamCategory, ExamYear, TestSite
from accounts.selectors import candidates_visible_to, staff_profile_of

from .api import feedback_reasons
from .enums import EventAction
from .models import Feedback

BATCH_SIZE = 2000
# Feedback that explains a return or a refusal to the candidate.
REASON_ACTIONS = (EventAction.SITE_RETURN, EventAction.PROVINCE_RETURN, EventAction.REJECT)
STATUSES_WITH_REASONS = (CandidateStatus.RETURNED, CandidateStatus.REJECTED)
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def export_header() -> list[str]:
    return [
        _("报名号"),
        _("姓名"),
        _("报考类别"),
        _("考点"),
        _("状态"),
        _("状态时间"),
        _("退回/拒绝原因"),
    ]


class ExportRow(NamedTuple):
    """One line of the export, in the order of export_header()."""

    reg_no: str
    name: str
    category: str
    site: str
    status: str
    status_at: datetime | None
    reasons: str


def export_rows(
    queryset: QuerySet[Candidate], *, batch_size: int = BATCH_SIZE
) -> Iterator[ExportRow]:
    """The rows of `queryset` in id order: two small queries, then two per batch whatever
    its size."""
    last_id = 0
    # Resolved once: a lazy label or a time-zone lookup per row is most of the time of
    # 200,000 rows.
    labels = {value: str(label) for value, label in CandidateStatus.choices}
    tz = timezone.get_current_timezone()
    # Site and category names from two small tables, read once: the batch query then
    # touches the candidate table alone (a join made the planner sort the whole province
    # for every batch).
    sites = {
        pk: f"{code} {name}"
        for pk, code, name in TestSite.objects.values_list("pk", "code", "name")
    }
    categories = {
        pk: f"{code} {name}"
        for pk, code, name in ExamCategory.objects.values_list("pk", "code", "name")
    }
    while True:
        batch = list(
            queryset.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list(
                "pk", "reg_no", "name", "category_id", "site_id", "status", "status_changed_at"
            )[:batch_size]
        )
        if not batch:
            return
        reasons = latest_reasons([row[0] for row in batch if row[5] in STATUSES_WITH_REASONS])
        for pk, reg_no, name, category_id, site_id, status, at in batch:
            yield ExportRow(
                reg_no=reg_no,
                name=name,
                category=categories.get(category_id, ""),
                site=sites.get(site_id, ""),
                status=labels.get(status, status),
                status_at=at.astimezone(tz) if at else None,
                reasons=reasons.get(pk, ""),
            )
        if len(batch) < batch_size:
            return
        last_id = batch[-1][0]


def latest_reasons(candidate_ids: list[int]) -> dict[int, str]:
    """The newest return/refusal Feedback of each candidate, as one line of text."""
    if not candidate_ids:
        return {}
    found: dict[int, str] = {}
    rows = (
        Feedback.objects.filter(candidate_id__in=candidate_ids, action__in=REASON_ACTIONS)
        .order_by("candidate_id", "-created_at", "-id")
        .values_list("candidate_id", "items", "message")
    )
    for candidate_id, items, message in rows:
        if candidate_id in found:
            continue
        parts = feedback_reasons(items)
        if message and message.strip():
            parts.append(message.strip())
        found[candidate_id] = "；".join(parts)
    return found


def csv_safe(value) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A write-only file for csv.writer that hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterator[ExportRow], *, lines_per_chunk: int = 500) -> Iterator[bytes]:
    # The byte order mark makes Excel (zh-CN) read the file as UTF-8 instead of GBK.
    writer = csv.writer(_Echo())
    buffer = ["\ufeff", writer.writerow(export_header())]
    for row in rows:
        buffer.append(writer.writerow([csv_safe(cell) for cell in row]))
        if len(buffer) >= lines_per_chunk:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def write_xlsx(rows: Iterator[ExportRow], target) -> None:
    """An .xlsx in openpyxl's write-only mode (rows go to disk as they come)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("审核结果"))
    sheet.append(export_header())
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, datetime):
                cells.append(value.replace(tzinfo=None))  # shown as yyyy-mm-dd h:mm:ss
            elif not value:
                cells.append(None)
            else:
                text = ILLEGAL_CHARACTERS_RE.sub("", value)
                if text.startswith("="):
                    # openpyxl would store it as a formula: typed as text instead.
                    cell = WriteOnlyCell(sheet, value=text)
                    cell.data_type = "s"
                    cells.append(cell)
                else:
                    cells.append(text)  # a plain string is stored as text
        sheet.append(cells)
    workbook.save(target)


# --- Views ----------------------------------------------------------------------------------


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
        if staff_profile_of(request.user) is None:
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


def _filename(label: str, extension: str) -> str:
    return f"yishen-results-{label}-{timezone.localdate():%Y%m%d}.{extension}"


@require_GET
@staff_required
def results_csv(request: HttpRequest) -> HttpResponse:
    try:
        queryset, label = export_queryset(request)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(
        csv_chunks(export_rows(queryset)), content_type="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(label, "csv")}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@require_GET
@staff_required
def results_xlsx(request: HttpRequest) -> HttpResponse:
    try:
        queryset, label = export_queryset(request)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    # Written to a temporary file (an .xlsx is a zip, it cannot be streamed as it grows);
    # the file is gone once the response is closed.
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(export_rows(queryset), target)
    target.seek(0)
    response = FileResponse(
        target,
        as_attachment=True,
        filename=_filename(label, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The export page (GET form; the buttons go straight to the two files) ------------------


class ExportForm(forms.Form):
    """The filters of the export, named as the export URLs read them."""

    site = forms.ModelChoiceField(
        label=gettext_lazy("考点"),
        queryset=TestSite.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("全部"),
    )
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)
    year = forms.TypedChoiceField(label=gettext_lazy("考试年度"), coerce=int, required=False)

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部"))] + list(CandidateStatus.choices)
        years = list(ExamYear.objects.order_by("-year").values_list("year", "is_current"))
        self.fields["year"].choices = [(y, str(y)) for y, _current in years]
        current = next((y for y, is_current in years if is_current), None)
        if current is not None:
            self.fields["year"].initial = current
        if profile.role == StaffRole.SITE_REVIEWER:
            del self.fields["site"]
        else:
            sites = TestSite.objects.order_by("code")
            if profile.role != StaffRole.NATIONAL:
                sites = sites.filter(province_id=profile.province_id)
            self.fields["site"].queryset = sites


@require_GET
@staff_required
def export_page(request: HttpRequest) -> HttpResponse:
    profile = staff_profile_of(request.user)
    return render(
        request,
        "review/export.html",
        {"profile": profile, "form": ExportForm(profile=profile)},
    )


# --- An admin action (for the candidate list of the admin) ---------------------------------


@admin.action(description=gettext_lazy("导出所选考生的审核结果（CSV）"))
def export_results_action(modeladmin, request: HttpRequest, queryset: QuerySet[Candidate]):
    """For `actions = [...]` of a Candidate ModelAdmin: the selected rows (the admin already
    limits them to the operator's province) as the same streamed CSV."""
    response = StreamingHttpResponse(
        csv_chunks(export_rows(queryset)), content_type="text/csv; charset=utf-8"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_filename("selected", "csv")}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
