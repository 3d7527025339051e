"""Candidate sessions. Candidates are not Django users: they arrive by a signed entry link
from the registration system and are remembered by their id in the session."""

import contextlib
from functools import wraps

from django.shortcuts import redirect

from .models import Candidate

SESSION_KEY = "yishen_candidate_id"
# What the candidate's pages show beside the candidate row (the registration data).
PAGE_RELATED = ("province", "site", "category", "exam_year")


def candidate_login(request, candidate: Candidate) -> None:
    # A new session id on every entry: no session fixation across candidates on one device.
    request.session.cycle_key()
    request.session[SESSION_KEY] = candidate.pk


def candidate_logout(request) -> None:
    request.session.pop(SESSION_KEY, None)


def current_candidate(request, *, related: tuple[str, ...] = PAGE_RELATED) -> Candidate | None:
    if hasattr(request, "_yishen_candidate"):
        return request._yishen_candidate
    candidate_id = request.session.get(SESSION_KEY)
    candidate = None
    if candidate_id is not None:
        # get(), not filter().first(): one row by its key needs no ORDER BY, and building it
        # was about a quarter of this read's CPU (on every candidate request).
        # A candidate deleted since is as if never signed in.
        with contextlib.suppress(Candidate.DoesNotExist):
            candidate = Candidate.objects.select_related(*related).get(pk=candidate_id)
    request._yishen_candidate = candidate
    return candidate


def candidate_required(
    view=None, *, activated: bool = True, related: tuple[str, ...] = PAGE_RELATED
):
    """The view gets `request.candidate`. Without a session: the page that says to come in
    through the registration system. Not yet activated: the next activation step.
    `related`: what the view reads besides the candidate row (the upload: the province)."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            candidate = current_candidate(request, related=related)
            if candidate is None:
                return redirect("accounts:entry_needed")
            if activated and not candidate.is_activated:
                return redirect("accounts:activate")
            request.candidate = candidate
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
