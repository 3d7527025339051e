"""The reviewer's writes: photo decisions, candidate decisions, notes, releasing a claim.
Each hands the request to one service and tells the reviewer what happened."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.http import client_ip
from accounts.models import Candidate
from materials.models import MaterialImage
from materials.selectors import category_for_candidate

from .. import services
from ..forms import DecisionForm, ImageReturnForm, NoteForm
from .access import (
    back_qs,
    candidate_url,
    not_found_outside_scope,
    reviewer_required,
    visible_candidate,
    with_qs,
)
from .candidate import DECISION_TAG, candidate_page, next_url, photo_tag

# What the reviewer is told after a decision; the SMS is mentioned only when one was queued.
DONE_MESSAGES = {
    "site_pass": gettext_lazy("已考点通过。"),
    "return": gettext_lazy("已退回考生。"),
    "return_to_site": gettext_lazy("已退回考点重新审核。"),
    "approve": gettext_lazy("已审核通过。"),
    "reject": gettext_lazy("已审核拒绝。"),
}
DONE_WITH_SMS_MESSAGES = {
    "return": gettext_lazy("已退回考生，并已发送短信通知。"),
    "approve": gettext_lazy("已审核通过，并已发送短信通知。"),
    "reject": gettext_lazy("已审核拒绝，并已发送短信通知。"),
}


def _answer(request, pk: int, anchor: str):
    """After a photo decision: the page's script (which posts with X-Requested-With: fetch)
    gets the page at once and takes the changed parts from it; a browser without the script
    is sent back to the page (POST, redirect, GET)."""
    if request.headers.get("X-Requested-With") == "fetch":
        return candidate_page(
            request, visible_candidate(request, pk, related=True), for_script=True
        )
    return redirect(candidate_url(pk, back_qs(request), anchor))


def _fail(request, exc: ValidationError, *, where: str = "") -> None:
    """Tells the reviewer why nothing changed; `where`: beside which control (a photo's,
    the candidate's decisions), else at the top of the page."""
    for message in exc.messages:
        messages.error(request, message, extra_tags=where)


@require_POST
@reviewer_required
def image_approve(request, pk: int, image_pk: int):
    # No row is read here: the service locks the candidate and the photo, checks the scope
    # and answers NotInScope for a candidate or photo the reviewer may not see (404).
    image = MaterialImage(pk=image_pk, candidate_id=pk)
    with not_found_outside_scope():
        try:
            services.image_approve(
                image=image,
                by=request.user,
                ip=client_ip(request),
                expected_status=request.POST.get("expected_status") or None,
            )
        except ValidationError as exc:
            _fail(request, exc, where=photo_tag(image_pk))
            # Back at the photo's controls, where the message is.
            return _answer(request, pk, f"panel-{image_pk}")
    return _answer(request, pk, f"photo-{image_pk}")


@require_POST
@reviewer_required
def image_return(request, pk: int, image_pk: int):
    candidate = visible_candidate(request, pk)
    # Only which photo: the service locks and reads the row itself.
    image = get_object_or_404(
        MaterialImage.objects.only("candidate"), pk=image_pk, candidate=candidate
    )
    form = ImageReturnForm(request.POST, province=candidate.province_id)
    if not form.is_valid():
        # The page again, with the message at this photo's reason and what was entered
        # kept; nothing changed.
        return candidate_page(
            request,
            visible_candidate(request, pk, related=True),
            return_error=(image, form),
            status=400,
            for_script=request.headers.get("X-Requested-With") == "fetch",
        )
    try:
        services.image_return(
            image=image,
            by=request.user,
            reason=form.cleaned_data["reason"],
            text=form.cleaned_data["text"],
            ip=client_ip(request),
            expected_status=form.cleaned_data["expected_status"] or None,
        )
    except ValidationError as exc:
        _fail(request, exc, where=photo_tag(image.pk))
        return _answer(request, candidate.pk, f"panel-{image.pk}")
    return _answer(request, candidate.pk, f"photo-{image.pk}")


@require_POST
@reviewer_required
def approve_remaining(request, pk: int):
    candidate = visible_candidate(request, pk)
    try:
        n = services.images_approve_remaining(
            candidate=candidate,
            by=request.user,
            ip=client_ip(request),
            expected_status=request.POST.get("expected_status") or None,
        )
    except ValidationError as exc:
        _fail(request, exc, where=DECISION_TAG)
        return _answer(request, candidate.pk, "decisions")
    messages.success(
        request,
        ngettext("已通过 %(n)s 张待审核图片。", "已通过 %(n)s 张待审核图片。", n) % {"n": n},
        extra_tags=DECISION_TAG,
    )
    return _answer(request, candidate.pk, "decisions")


@require_POST
@reviewer_required
def decide(request, pk: int):
    form = DecisionForm(request.POST)
    qs = back_qs(request)
    if not form.is_valid():
        visible_candidate(request, pk)  # 404 outside the scope
        messages.error(request, _("请选择操作。"), extra_tags=DECISION_TAG)
        return redirect(candidate_url(pk, qs, "decisions"))
    data = form.cleaned_data
    action = data["action"]
    # The transition locks and reads the row and checks the scope (NotInScope: 404); a
    # return of a whole category needs the candidate first, to find the category.
    candidate = Candidate(pk=pk)
    items = []
    with not_found_outside_scope():
        try:
            if action == "return" and data.get("item_category"):
                candidate = visible_candidate(request, pk)
                category = category_for_candidate(candidate, data["item_category"])
                if category is None:
                    raise ValidationError(_("材料类别不存在。"))
                items.append(
                    services.CategoryItem(category=category, reason=data.get("item_reason") or "")
                )
            done = services.candidate_transition(
                candidate=candidate,
                verb=action,
                by=request.user,
                ip=client_ip(request),
                expected_status=data["expected_status"] or None,
                message=data["message"],
                category_items=items,
            )
        except ValidationError as exc:
            _fail(request, exc, where=DECISION_TAG)
            return redirect(candidate_url(pk, qs, "decisions"))
    told = DONE_WITH_SMS_MESSAGES[action] if done.sms_queued else DONE_MESSAGES[action]
    messages.success(
        request,
        _("%(reg_no)s %(name)s：%(done)s")
        % {"reg_no": candidate.reg_no, "name": candidate.name, "done": told},
    )
    if data.get("next"):
        # Straight to the next candidate (one redirect, not two through «下一位»), from the
        # candidate as the transition stored it (in scope: the transition checked).
        return redirect(next_url(request, done.candidate, qs))
    return redirect(candidate_url(pk, qs))


@require_POST
@reviewer_required
def note(request, pk: int):
    candidate = visible_candidate(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_create(
                candidate=candidate,
                by=request.user,
                text=form.cleaned_data["text"],
                ip=client_ip(request),
            )
            messages.success(request, _("备注已保存（仅审核人员可见）。"))
        except ValidationError as exc:
            _fail(request, exc)
    else:
        messages.error(request, _("备注内容不能为空。"))
    return redirect(candidate_url(candidate.pk, back_qs(request), "notes"))


@require_POST
@reviewer_required
def release(request, pk: int):
    candidate = visible_candidate(request, pk)
    services.claim_release(candidate=candidate, by=request.user)
    return redirect(with_qs(reverse("review:queue"), back_qs(request)))
