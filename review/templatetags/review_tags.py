from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus

from ..reasons import reason_label

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """The Chinese label of a candidate (or photo) status value stored in the audit trail."""
    for choices in (CandidateStatus, ImageStatus):
        if value in choices.values:
            return str(choices(value).label)
    return value


@register.filter
def return_reason(value: str) -> str:
    """A recorded return reason: a standard one in the reader's language, a typed one as
    written (review/reasons.py: reason_label)."""
    return reason_label(value)


@register.simple_tag
def queue_notes(row, now, user_pk) -> list[tuple[str, str]]:
    """What the queue shows beside a candidate, as (CSS class, text); text without a class
    is plain: resubmitted after a return, the reply deadline (or that it passed), and who
    else is looking at the candidate now."""
    notes = []
    if row.returned_by and row.status != CandidateStatus.RETURNED:
        notes.append(("tag", _("退回后重新提交")))
    if row.status == CandidateStatus.RETURNED and row.reply_deadline:
        if row.reply_deadline < now:
            notes.append(("tag overdue", _("已过修改截止时间")))
        else:
            moment = timezone.localtime(row.reply_deadline).strftime("%m-%d %H:%M")
            notes.append(("", _("修改截止 %(d)s") % {"d": moment}))
    try:
        claim = row.claim
    except ObjectDoesNotExist:  # read with the row (select_related): none is held
        claim = None
    if claim is not None and claim.expires_at > now and claim.reviewer_id != user_pk:
        who = claim.reviewer.get_full_name() or claim.reviewer.get_username()
        notes.append(("tag claimed", _("%(who)s 正在审核") % {"who": who}))
    return notes
