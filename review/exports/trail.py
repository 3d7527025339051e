"""One candidate's audit trail for an inspector, as an .xlsx from the candidate list of the
admin. The admin limits the list to the operator's province; the export is itself recorded
in the trail (review.services.candidate_trail_export)."""

from __future__ import annotations

import io
import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from accounts.http import client_ip
from accounts.models import Candidate

from ..enums import ActorKind, EventAction
from ..models import ReviewEvent
from ..services import candidate_trail_export
from .views import XLSX_TYPE
from .writers import csv_safe


def _header() -> list[str]:
    return [
        _("记录号"),
        _("时间"),
        _("操作人"),
        _("角色"),
        _("操作人类型"),
        _("操作"),
        _("图片编号"),
        _("原状态"),
        _("新状态"),
        _("详情"),
        _("IP 地址"),
        _("上一条哈希"),
        _("本条哈希"),
    ]


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _row(event: ReviewEvent) -> list:
    return [
        event.pk,
        timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        csv_safe(event.actor_name),
        csv_safe(event.role_label),
        _label(ActorKind, event.actor_kind),
        _label(EventAction, event.action),
        event.image_id,
        event.from_status,
        event.to_status,
        csv_safe(json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else ""),
        event.ip_address or "",
        event.prev_hash,
        event.row_hash,
    ]


def trail_workbook(*, candidate: Candidate, events: list[ReviewEvent], by) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("审核记录"))
    sheet.append([_("考生审核记录")])
    sheet.append([_("报名号"), csv_safe(candidate.reg_no)])
    sheet.append([_("姓名"), csv_safe(candidate.name)])
    sheet.append([_("考区"), csv_safe(str(candidate.province))])
    sheet.append([_("导出人"), csv_safe(by.get_full_name() or by.get_username())])
    sheet.append([_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")])
    sheet.append([])
    sheet.append(_header())
    for event in events:
        sheet.append(_row(event))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@admin.action(description=gettext_lazy("导出所选考生的审核记录（XLSX，供核查）"))
def export_trail_action(modeladmin, request: HttpRequest, queryset: QuerySet[Candidate]):
    """For `actions = [...]` of the Candidate ModelAdmin: exactly one candidate (the admin
    already limits the rows to the operator's province)."""
    chosen = list(queryset.select_related("province")[:2])
    if len(chosen) != 1:
        modeladmin.message_user(
            request, _("请只选择一名考生导出审核记录。"), level=messages.WARNING
        )
        return None
    candidate = chosen[0]
    events = candidate_trail_export(
        candidate=candidate, by=request.user, file_format="xlsx", ip=client_ip(request)
    )
    response = HttpResponse(
        trail_workbook(candidate=candidate, events=events, by=request.user),
        content_type=XLSX_TYPE,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    reg_no = candidate.reg_no if candidate.reg_no.isascii() and candidate.reg_no.isalnum() else ""
    name = f"audit-{reg_no or candidate.pk}-{stamp}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
