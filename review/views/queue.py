"""The queue: candidates of the reviewer's scope, filtered, oldest first, paged by keyset."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.enums import CandidateStatus

from .. import selectors
from ..forms import QueueFilterForm
from .access import QUEUE_PARAMS, queue_querystring, reviewer_required


def queue_filter(request, profile, params=None) -> tuple[QueueFilterForm, selectors.QueueFilter]:
    """The filter form (bound to the query string, or to `params`, a QueryDict, or showing
    the default status) and the filter it stands for (the default one when the form is not
    valid)."""
    params = request.GET if params is None else params
    status = selectors.default_queue_status(profile)
    if not any(k in params for k in QUEUE_PARAMS):
        form = QueueFilterForm(initial={"status": status}, profile=profile)
        return form, selectors.QueueFilter(status=status)
    form = QueueFilterForm(params, profile=profile)
    if not form.is_valid():
        return form, selectors.QueueFilter(status=status)
    chosen = form.cleaned_data.get("status") or status
    site = form.cleaned_data.get("site")
    category = form.cleaned_data.get("category")
    return form, selectors.QueueFilter(
        status="" if chosen == "all" else chosen,
        site_id=site.pk if site else None,
        category_id=category.pk if category else None,
        resubmitted=form.cleaned_data.get("resubmitted") or False,
        overdue=form.cleaned_data.get("overdue") or False,
        precheck=form.cleaned_data.get("precheck") or False,
        q=form.cleaned_data.get("q") or "",
    )


@require_GET
@reviewer_required
def queue(request):
    profile = request.staff_profile
    form, flt = queue_filter(request, profile)
    cursor = (
        selectors.Cursor.decode(request.GET.get("cursor", "")) if "cursor" in request.GET else None
    )
    rows, next_cursor = selectors.queue_page(profile, flt, cursor=cursor)
    counts = selectors.status_counts(profile)
    return render(
        request,
        "review/queue.html",
        {
            "profile": profile,
            "form": form,
            "filter": flt,
            "rows": rows,
            "counts": [
                (value, label, counts.get(value, 0)) for value, label in CandidateStatus.choices
            ],
            "next_cursor": next_cursor.encode() if next_cursor else "",
            "paged": cursor is not None,
            "qs": queue_querystring(request),
            "now": timezone.now(),
        },
    )
