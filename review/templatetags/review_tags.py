from django import template

from accounts.enums import CandidateStatus
from materials.enums import ImageStatus

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """The Chinese label of a candidate (or photo) status value stored in the audit trail."""
    for choices in (CandidateStatus, ImageStatus):
        if value in choices.values:
            return str(choices(value).label)
    return value
