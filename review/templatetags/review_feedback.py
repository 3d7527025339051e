"""审核意见 on the candidate's material page: the page is materials', the feedback review's,
so review renders it here and the page's template loads this library."""

from django import template

from config.i18n import english_chosen, in_reader_language
from materials.models import MaterialCategory

from ..selectors import candidate_feedback_view

register = template.Library()


@register.inclusion_tag("review/_candidate_feedback.html")
def candidate_feedback(candidate):
    view = candidate_feedback_view(candidate)
    return {
        "result": view.result,
        "entries": view.entries,
        "candidate": candidate,
        "english_names": feedback_english_names([entry.feedback for entry in view.entries]),
    }


@register.simple_tag
def feedback_english_names(feedback) -> dict[int, str]:
    """The English names of the categories these feedback items name, in one query (an item
    records the Chinese name it was returned under, and its category's id): for
    feedback_category. A reader of Chinese reads the recorded names: no query."""
    if not english_chosen():
        return {}
    ids = {
        row.get("category_id") for f in feedback for row in f.items or [] if row.get("category_id")
    }
    if not ids:
        return {}
    return dict(
        MaterialCategory.objects.filter(pk__in=ids).exclude(name_en="").values_list("pk", "name_en")
    )


@register.simple_tag
def feedback_category(row, english_names) -> str:
    """A feedback item's category in the reader's language: the recorded (Chinese) name, or
    the category's English name for a reader of English."""
    return in_reader_language(
        row.get("category") or "", english_names.get(row.get("category_id"), "")
    )
