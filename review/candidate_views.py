"""The candidate's two moves of the review state machine, 提交审核 and 重新提交: the buttons
sit on the material page, the rules are review's (review.services), so the views are here.

GET shows the confirmation (what will be locked, and what still stops the step) — the page
the buttons lead to without JavaScript; page.js shows the same in a dialog. POST takes the
step."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.auth import candidate_required
from accounts.http import client_ip
from materials.pagecontext import category_blocks, page_panel

from .services import candidate_resubmit, candidate_submit


def _status_panel_url() -> str:
    return f"{reverse('materials:page')}#status-panel"


def _move(request, service, done: str):
    """One of the candidate's moves, then back to the status panel with what came of it."""
    try:
        service(candidate=request.candidate, ip=client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(_status_panel_url())


def _confirm_page(request, *, resubmit: bool):
    candidate = request.candidate
    now = timezone.now()
    blocks = category_blocks(candidate, now=now)
    panel = page_panel(candidate, blocks, now=now)
    if panel.summary is None or panel.summary.resubmit != resubmit:
        # Already submitted, past the window or the reply deadline: the page says why.
        return redirect(_status_panel_url())
    return render(
        request,
        "review/candidate_submit_confirm.html",
        {"candidate": candidate, "summary": panel.summary},
    )


@require_http_methods(["GET", "POST"])
@candidate_required
def submit(request):
    """提交审核 (explicit-submit provinces)."""
    if request.method == "GET":
        return _confirm_page(request, resubmit=False)
    return _move(request, candidate_submit, _("已提交审核，请留意短信通知。"))


@require_http_methods(["GET", "POST"])
@candidate_required
def resubmit(request):
    """重新提交 after a return."""
    if request.method == "GET":
        return _confirm_page(request, resubmit=True)
    return _move(request, candidate_resubmit, _("已重新提交，等待审核。"))
