"""The reviewers' log-in. Failed attempts are limited per pair of user name and address by
django-axes (its authentication backend and middleware, config/settings/base.py), here and on
the admin's log-in alike."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import SESSION_KEY as CANDIDATE_SESSION_KEY

from ..forms import ReviewerLoginForm


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lock-out response (AXES_LOCKOUT_CALLABLE), for both log-in pages: a page
    in Chinese that says for how long, with 429 Too Many Requests."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "review/locked_out.html", context, status=429)


class ReviewerLoginView(LoginView):
    template_name = "review/login.html"
    authentication_form = ReviewerLoginForm
    redirect_authenticated_user = False

    def form_valid(self, form):
        response = super().form_valid(form)
        # A reviewer's browser is not a candidate's session at the same time.
        self.request.session.pop(CANDIDATE_SESSION_KEY, None)
        return response

    def get_default_redirect_url(self):
        return reverse("review:queue")


login = ReviewerLoginView.as_view()


@require_POST
def logout(request):
    auth_logout(request)
    messages.info(request, _("您已退出审核工作台。"))
    return redirect("review:login")
