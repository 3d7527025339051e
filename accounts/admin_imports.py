"""The admin's import pages: reviewer accounts (check first, write on confirmation) and
rosters (written at once: the import is idempotent, and its report says what each row did).

Between the check and the confirmation, the rows that passed travel in the page as a
payload signed with Django's signing (JSON, never pickle), bound to the operator and the
province and valid for STAFF_IMPORT_CONFIRM_SECONDS; on confirmation they are checked again
before anything is written."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .admin_scoping import admin_province_of, is_national
from .models import Province
from .services import STAFF_COLUMNS, staff_import_apply, staff_import_check
from .services.roster import ROSTER_COLUMNS, ROSTER_FILE_MAX_ROWS, roster_upsert
from .services.staff_import import STAFF_IMPORT_MAX_ROWS
from .tabular import read_sheet

STAFF_IMPORT_SALT = "accounts.staff_import"
STAFF_IMPORT_CONFIRM_SECONDS = 3600


class SheetUploadForm(forms.Form):
    province = forms.ModelChoiceField(
        label=gettext_lazy("考区"), queryset=Province.objects.all(), empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("文件"),
        help_text=gettext_lazy("Excel（.xlsx）或 CSV（.csv），第1行为表头。"),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_national(request):
            province = admin_province_of(request)
            if province is None:
                raise PermissionDenied
            self.fields["province"].queryset = Province.objects.filter(pk=province.pk)
            self.fields["province"].initial = province.pk


def _context(model_admin, request, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        **extra,
    }


def _sheet_rows(form, columns, max_rows) -> list[dict] | None:
    """The rows of the uploaded file, each with its row number; None when the file cannot be
    read, with the reason on the form's file field."""
    try:
        sheet = read_sheet(form.cleaned_data["file"], columns=columns, max_rows=max_rows)
    except ValidationError as exc:
        form.add_error("file", exc)
        return None
    return [{"number": row.number, **row.values} for row in sheet]


def staff_import_view(model_admin, request):
    """Step 1, the file: its report. Step 2, the confirmation: the accounts are written."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    template = "admin/accounts/staffaccount/import.html"
    columns = [c.header for c in STAFF_COLUMNS]
    if request.method == "POST" and "payload" in request.POST:
        return _staff_import_confirm(model_admin, request, template, columns)
    form = SheetUploadForm(request.POST or None, request.FILES or None, request=request)
    context = _context(model_admin, request, title=_("批量导入审核员"), form=form, columns=columns)
    if (
        request.method == "POST"
        and form.is_valid()
        and (rows := _sheet_rows(form, STAFF_COLUMNS, STAFF_IMPORT_MAX_ROWS)) is not None
    ):
        province = form.cleaned_data["province"]
        report = staff_import_check(rows=rows, province=province, by=request.user)
        payload = ""
        if report.accepted:
            payload = signing.dumps(
                {"by": request.user.pk, "province": province.pk, "rows": report.accepted},
                salt=STAFF_IMPORT_SALT,
                compress=True,
            )
        context.update(report=report, payload=payload)
    return TemplateResponse(request, template, context)


def _staff_import_confirm(model_admin, request, template, columns):
    form = SheetUploadForm(request=request)
    context = _context(model_admin, request, title=_("批量导入审核员"), form=form, columns=columns)
    try:
        data = signing.loads(
            request.POST["payload"], salt=STAFF_IMPORT_SALT, max_age=STAFF_IMPORT_CONFIRM_SECONDS
        )
    except signing.SignatureExpired:
        messages.error(request, _("确认已超时（1小时），请重新上传文件。"))
        return TemplateResponse(request, template, context)
    except signing.BadSignature:
        messages.error(request, _("导入数据无效，请重新上传文件。"))
        return TemplateResponse(request, template, context)
    if data.get("by") != request.user.pk:
        raise PermissionDenied
    province = Province.objects.filter(pk=data.get("province")).first()
    if province is None:
        raise PermissionDenied
    report = staff_import_apply(
        rows=data["rows"],
        province=province,
        by=request.user,
        base_url=request.build_absolute_uri("/"),
    )
    if report.problems:
        messages.error(
            request, _("自检查以来数据已有变化，本次未导入任何账号，请修改文件后重新上传。")
        )
        context.update(report=report, payload="")
        return TemplateResponse(request, template, context)
    messages.success(
        request,
        ngettext(
            "已导入 %(n)d 个审核员账号，开通链接已通过短信发送。",
            "已导入 %(n)d 个审核员账号，开通链接已通过短信发送。",
            report.created,
        )
        % {"n": report.created},
    )
    return redirect(reverse("admin:accounts_staffaccount_changelist"))


def roster_import_view(model_admin, request):
    """The roster file of a province, written at once (idempotent), and its report."""
    if not (is_national(request) or admin_province_of(request) is not None):
        raise PermissionDenied
    template = "admin/accounts/candidate/import.html"
    form = SheetUploadForm(request.POST or None, request.FILES or None, request=request)
    context = _context(
        model_admin,
        request,
        title=_("导入考生名单"),
        form=form,
        columns=[c.header for c in ROSTER_COLUMNS],
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and (records := _sheet_rows(form, ROSTER_COLUMNS, ROSTER_FILE_MAX_ROWS)) is not None
    ):
        province = form.cleaned_data["province"]
        report = roster_upsert(records=records, province=province, from_sheet=True)
        context["report"] = report
    return TemplateResponse(request, template, context)
