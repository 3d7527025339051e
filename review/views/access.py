"""What every workbench view shares: who may enter, which candidate they may see, and the
queue filters that travel with the reviewer from page to page. A candidate outside the
reviewer's scope does not exist for them (404); a candidate session or a user without a
reviewer profile is refused (403)."""

from __future__ import annotations

from contextlib import contextmanager
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.auth import SESSION_KEY as CANDIDATE_SESSION_KEY
from accounts.models import Candidate
from accounts.selectors import staff_scope_of

from .. import services
from ..forms import reviewer_scope

QUEUE_PARAMS = ("status", "site", "category", "resubmitted", "overdue", "precheck", "q")


def reviewer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = reviewer_scope(request.user)
        if scope is None:
            if request.user.is_authenticated or request.session.get(CANDIDATE_SESSION_KEY):
                # A candidate session is not a reviewer; nor is a user without a profile.
                raise PermissionDenied(_("仅限审核人员访问。"))
            return redirect_to_login(request.get_full_path(), reverse("review:login"))
        request.staff_profile = scope.profile
        return view(request, *args, **kwargs)

    return wrapper


def visible_candidate(request, pk: int, *, related: bool = False) -> Candidate:
    """The candidate if the reviewer may see it (the scope rule, accounts.selectors), else
    404 as for one that does not exist. `related`: with its province, site, category and
    year, for the page that shows them."""
    queryset = Candidate.objects.all()
    if related:
        queryset = queryset.select_related("province", "site", "category", "exam_year")
    candidate = queryset.filter(pk=pk).first()
    if candidate is None or not staff_scope_of(request.user).allows(candidate):
        raise Http404
    return candidate


@contextmanager
def not_found_outside_scope():
    """For the POST views that hand the ids straight to a service: a candidate (or photo)
    outside the reviewer's scope, or none at all, is a 404, as on every other page."""
    try:
        yield
    except services.NotInScope:
        raise Http404 from None


def queue_querystring(request) -> str:
    """The queue filters of this GET request (only the known parameters)."""
    pairs = [(k, v) for k in QUEUE_PARAMS for v in request.GET.getlist(k) if v != ""]
    return urlencode(pairs)


def back_qs(request) -> str:
    """The queue filters a form posted back (for «save and next»); only the known
    parameters are kept."""
    posted = QueryDict((request.POST.get("queue") or "").lstrip("?")[:1000])
    return urlencode([(k, v) for k in QUEUE_PARAMS for v in posted.getlist(k) if v != ""])


def with_qs(url: str, qs: str, anchor: str = "") -> str:
    return (f"{url}?{qs}" if qs else url) + (f"#{anchor}" if anchor else "")


def candidate_url(candidate_pk: int, qs: str, anchor: str = "") -> str:
    return with_qs(reverse("review:candidate", kwargs={"pk": candidate_pk}), qs, anchor)
