"""「提示有误」: a reviewer marks a hint of the machine pre-check wrong. It changes no state of
the photo or the candidate; it counts against the hint's precision on the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from materials.precheck.services import hint_mark_wrong

from .access import back_qs, candidate_url, reviewer_required, visible_candidate


@require_POST
@reviewer_required
def hint_wrong(request, pk: int, hint_pk: int):
    candidate = visible_candidate(request, pk)
    try:
        hint = hint_mark_wrong(hint_id=hint_pk, candidate=candidate, by=request.user)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(candidate_url(candidate.pk, back_qs(request)))
    messages.success(request, _("已将该提示标记为有误，谢谢。"))
    return redirect(candidate_url(candidate.pk, back_qs(request), f"photo-{hint.image_id}"))
