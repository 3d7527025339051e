"""The candidate page: what the candidate uploaded, the decisions the reviewer may take,
the feedback, notes, messages and history; and «下一位»."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus, ProcessingState
from materials.precheck.selectors import photo_hints

from .. import selectors, services, transitions
from ..forms import NoteForm
from .access import (
    candidate_url,
    queue_querystring,
    reviewer_required,
    visible_candidate,
    with_qs,
)
from .queue import queue_filter


@require_GET
@reviewer_required
def candidate(request, pk: int):
    profile = request.staff_profile
    candidate = visible_candidate(request, pk, related=True)
    now = timezone.now()
    claim = services.claim_take(candidate=candidate, by=request.user, now=now)
    held_by = (
        claim.reviewer
        if claim is not None and claim.reviewer_id != request.user.pk and claim.expires_at > now
        else None
    )
    level = transitions.acting_level(profile, candidate.status)
    blocks = selectors.candidate_material_blocks(candidate)
    hints = photo_hints(
        images=[img for block in blocks for img in block.images],
        candidate=candidate,
        user=request.user,
    )
    for block in blocks:
        for img in block.images:
            img.hints = hints.get(img.pk)
    return render(
        request,
        "review/candidate.html",
        {
            "profile": profile,
            "candidate": candidate,
            "claim": claim,
            "held_by": held_by,
            "level": level,
            "can_act": level is not None and held_by is None,
            "can_reject_returned": (
                candidate.status == CandidateStatus.RETURNED
                and held_by is None
                and transitions.can_take(profile, candidate, "reject")
            ),
            "blocks": blocks,
            "reasons": selectors.return_reasons(candidate.province),
            "pending": sum(
                1
                for block in blocks
                for img in block.images
                if img.status == ImageStatus.PENDING and img.processing == ProcessingState.READY
            ),
            "feedback": list(selectors.feedback_for_candidate(candidate).select_related("author")),
            "notes": selectors.candidate_notes(candidate),
            "sms": selectors.candidate_messages(candidate),
            "events": selectors.candidate_history(candidate),
            "submitted_message": selectors.submitted_message(candidate),
            "qs": queue_querystring(request),
            "note_form": NoteForm(),
            "now": now,
        },
    )


@require_GET
@reviewer_required
def next_candidate(request, pk: int):
    """«下一位»: the next candidate of the same queue (filters in the query string)."""
    profile = request.staff_profile
    current = visible_candidate(request, pk)
    _form, flt = queue_filter(request, profile)
    following = selectors.next_in_queue(profile, flt, after=current)
    qs = queue_querystring(request)
    if following is None:
        messages.info(request, _("当前队列已全部处理完。"))
        return redirect(with_qs(reverse("review:queue"), qs))
    return redirect(candidate_url(following.pk, qs))
