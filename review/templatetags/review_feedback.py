"""审核意见 on the candidate's material page: the page is materials', the feedback review's,
so review renders it here and the page's template loads this library."""

from django import template

from ..selectors import candidate_feedback_view

register = template.Library()


@register.inclusion_tag("review/_candidate_feedback.html")
def candidate_feedback(candidate):
    view = candidate_feedback_view(candidate)
    return {"result": view.result, "entries": view.entries, "candidate": candidate}
