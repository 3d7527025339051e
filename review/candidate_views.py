"""The candidate's two moves of the review state machine, 提交审核 and 重新提交: the buttons
sit on the material page, the rules are review's (review.services), so the views are here."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import candidate_required
from accounts.http import client_ip

from .services import candidate_resubmit, candidate_submit


def _status_panel_url() -> str:
    return f"{reverse('materials:page')}#status-panel"


@require_POST
@candidate_required
def submit(request):
    """提交审核 (explicit-submit provinces)."""
    try:
        candidate_submit(candidate=request.candidate, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已提交审核，请留意短信通知。"))
    return redirect(_status_panel_url())


@require_POST
@candidate_required
def resubmit(request):
    """重新提交 after a return."""
    try:
        candidate_resubmit(candidate=request.candidate, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已重新提交，等待审核。"))
    return redirect(_status_panel_url())
