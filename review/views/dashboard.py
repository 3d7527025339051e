"""The dashboard: counts per site and status, decisions per day, the oldest waiting."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from materials.precheck.selectors import hint_precision

from .. import selectors
from .access import reviewer_required


@require_GET
@reviewer_required
def dashboard(request):
    profile = request.staff_profile
    data = selectors.dashboard(profile)
    precision = hint_precision(user=request.user)
    return render(
        request, "review/dashboard.html", {"profile": profile, "precision": precision, **data}
    )
