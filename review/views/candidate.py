"""The candidate page: what the candidate uploaded, the decisions the reviewer may take,
the feedback, notes, messages and history; and «下一位»."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.enums import CandidateStatus
from accounts.http import client_ip
from materials.enums import ImageStatus, ProcessingState
from materials.precheck.selectors import photo_hints

from .. import selectors, services, transitions
from ..forms import NoteForm
from .access import (
    back_qs,
    candidate_url,
    queue_querystring,
    reviewer_required,
    visible_candidate,
    with_qs,
)
from .queue import queue_filter

# Where a message is shown on the candidate page: beside the photo it is about
# ("photo-<pk>"), beside the candidate's decisions ("decision"), or at the top (no tag).
DECISION_TAG = "decision"


def photo_tag(image_pk: int) -> str:
    return f"photo-{image_pk}"


@require_GET
@reviewer_required
def candidate(request, pk: int):
    return candidate_page(request, visible_candidate(request, pk, related=True))


def candidate_page(
    request, candidate, *, return_error=None, status: int = 200, for_script: bool = False
):
    """The page. `return_error`: (photo, bound ImageReturnForm) of a return that was refused
    for its input, shown in that photo's controls with what the reviewer had entered.
    `for_script`: the answer to a decision the page's script posted, from which it takes the
    changed parts (marked data-swap) into the page already shown. That page was recorded
    when it was opened, so no view row; and what the script does not take is left out: the
    cards below the workbench (feedback, notes, SMS, history) with their queries, the photos'
    viewers, the summary and the list of keys (a smaller answer to render and to parse, on
    the way from ⇧A to «…并下一位»)."""
    profile = request.staff_profile
    if not for_script:
        # A page shown: a staff view, audited.
        services.candidate_view_record(
            candidate=candidate, by=request.user, page=services.WORKBENCH, ip=client_ip(request)
        )
    now = timezone.now()
    # Read only: a page is not a claim (a prefetch or a link preview must not take a
    # candidate). «下一位» and the decisions, all POSTs, claim (services.claim_next,
    # the decisions' claim_keep).
    claim = selectors.claim_in_force(candidate, now=now)
    held_by = (
        claim.reviewer
        if claim is not None and claim.reviewer_id != request.user.pk and claim.expires_at > now
        else None
    )
    level = transitions.acting_level(profile, candidate.status)
    blocks = selectors.candidate_material_blocks(candidate)
    images = [img for block in blocks for img in block.images]
    hints = photo_hints(images=images, candidate=candidate, user=request.user)
    placed = defaultdict(list)
    general = []
    for message in messages.get_messages(request):
        if message.extra_tags:
            placed[message.extra_tags].append(message)
        else:
            general.append(message)
    for number, img in enumerate(images, start=1):
        img.hints = hints.get(img.pk)
        img.number = number
        img.messages = placed.pop(photo_tag(img.pk), [])
        img.return_error = ""
        img.return_values = {"reason": "", "text": ""}
        if return_error is not None and return_error[0].pk == img.pk:
            form = return_error[1]
            img.return_error = " ".join(form.non_field_errors()) or _("请选择退回原因。")
            img.return_values = {
                "reason": form.data.get("reason", ""),
                "text": form.data.get("text", ""),
            }
    # The photo the page opens at (its script may choose another from the address's
    # #fragment): the first still to decide, else the first. Only it is loaded at once.
    start = next((img for img in images if img.status == ImageStatus.PENDING), None)
    start = start or (images[0] if images else None)
    reasons = selectors.return_reasons(candidate.province)
    decision_messages = placed.pop(DECISION_TAG, [])
    # A photo that is gone since the message was written: its message goes to the top.
    for rest in placed.values():
        general.extend(rest)
    return render(
        request,
        "review/candidate.html",
        {
            "profile": profile,
            "candidate": candidate,
            "claim": claim,
            "held_by": held_by,
            # What a decision would be refused with (who holds the candidate, until when):
            # the page's script says it when P, ⇧A or D find no control to press.
            "held_message": services.claimed_error(claim).messages[0] if held_by else "",
            "level": level,
            "can_act": level is not None and held_by is None,
            "can_reject_returned": (
                candidate.status == CandidateStatus.RETURNED
                and held_by is None
                and transitions.can_take(profile, candidate, "reject")
            ),
            "blocks": blocks,
            "photo_count": len(images),
            "reasons": reasons,
            # Every photo's return form offers the same reasons: the list is rendered once
            # (a photo whose return was refused renders its own, with the choice kept).
            "reason_options": render_to_string(
                "review/_reason_options.html", {"reasons": reasons, "selected": ""}
            ),
            # A photo marked 退回 stops the pass: after ⇧A the focus then goes to 退回考生
            # (Enter opens its form) rather than to a pass the server would refuse.
            "has_returned": any(img.status == ImageStatus.RETURNED for img in images),
            "pending": sum(
                1
                for img in images
                if img.status == ImageStatus.PENDING and img.processing == ProcessingState.READY
            ),
            "general_messages": general,
            "decision_messages": decision_messages,
            "for_script": for_script,
            **({} if for_script else _cards(candidate)),
            "submitted_message": selectors.submitted_message(candidate),
            "qs": back_qs(request) if request.method == "POST" else queue_querystring(request),
            "note_form": NoteForm(),
            "now": now,
            "start_pk": start.pk if start is not None else None,
            # The script loads the next photos ahead with this token, and reports each one
            # when it shows it (services.audit).
            "ahead": services.photos_ahead_token(candidate=candidate, by=request.user),
        },
        status=status,
    )


def _cards(candidate) -> dict:
    """What the cards below the workbench show."""
    return {
        "feedback": list(selectors.feedback_for_candidate(candidate).select_related("author")),
        "notes": selectors.candidate_notes(candidate),
        "sms": selectors.candidate_messages(candidate),
        "events": selectors.candidate_history(candidate),
    }


@require_POST
@reviewer_required
def next_candidate(request, pk: int):
    """«下一位» (a POST: it claims): leaves this candidate to others (the reviewer's claim
    on it ends) and goes to the next one of the same queue (the filters posted back)."""
    current = visible_candidate(request, pk)
    services.claim_release(candidate=current, by=request.user)
    return redirect(next_url(request, current, back_qs(request)))


@require_POST
@reviewer_required
def photos_shown(request, pk: int):
    """The page's script showed photos it had loaded ahead (`image`, one or more ids): their
    audit rows (services.photos_shown_record). 204, or 400 when no id is one of the
    candidate's photos."""
    candidate = visible_candidate(request, pk)
    ids = [int(v) for v in request.POST.getlist("image") if v.isdigit()][:20]
    rows = services.photos_shown_record(
        candidate=candidate, by=request.user, image_ids=ids, ip=client_ip(request)
    )
    if not rows:
        return HttpResponseBadRequest(_("图片不存在。"), content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)


def next_url(request, current, qs: str) -> str:
    """Where «下一位» leads from `current`: the next candidate of the queue that `qs` (the
    queue's filters) describes that no other reviewer holds, claimed for this reviewer
    (services.claim_next), or the queue when none is left (with a message)."""
    profile = request.staff_profile
    _form, flt = queue_filter(request, profile, QueryDict(qs))
    following = services.claim_next(by=request.user, flt=flt, after=current)
    if following is None:
        messages.info(request, _("当前队列已全部处理完。"))
        return with_qs(reverse("review:queue"), qs)
    return candidate_url(following.pk, qs)
