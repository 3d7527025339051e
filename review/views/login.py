"""The reviewers' log-in, with failed attempts limited per user name and per address."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import SESSION_KEY as CANDIDATE_SESSION_KEY
from accounts.http import client_ip

from ..forms import ReviewerLoginForm

# Failed log-ins allowed per user name and per address within the window.
LOGIN_FAILURES_PER_USER = 5
LOGIN_FAILURES_PER_IP = 20
LOGIN_WINDOW_SECONDS = 15 * 60


def _failure_keys(request) -> tuple[str, str]:
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return (f"review:login-fail:user:{username}", f"review:login-fail:ip:{client_ip(request)}")


def _too_many_failures(request) -> bool:
    user_key, ip_key = _failure_keys(request)
    return (cache.get(user_key) or 0) >= LOGIN_FAILURES_PER_USER or (
        cache.get(ip_key) or 0
    ) >= LOGIN_FAILURES_PER_IP


def _count_failure(request) -> None:
    for key in _failure_keys(request):
        if not cache.add(key, 1, LOGIN_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, LOGIN_WINDOW_SECONDS)


class ReviewerLoginView(LoginView):
    template_name = "review/login.html"
    authentication_form = ReviewerLoginForm
    redirect_authenticated_user = False

    def post(self, request, *args, **kwargs):
        if _too_many_failures(request):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("登录失败次数过多，请15分钟后再试。"))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        _count_failure(self.request)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(_failure_keys(self.request)[0])
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
