"""Staff sessions (every Django user is staff: candidates are not users). The time-outs end a
session left idle or grown old; the second factor keeps every page but the log-in steps
closed until a TOTP or recovery code has been entered in this session."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from .services import staff_has_second_factor

LOGGED_IN_AT = "yishen_staff_login_at"
SEEN_AT = "yishen_staff_seen_at"
# The last-seen time is written at most this often (each write saves the session).
SEEN_RESOLUTION_SECONDS = 60


def staff_session_started(sender, request, user, **kwargs) -> None:
    """Every log-in starts the clocks (connected to user_logged_in by AccountsConfig)."""
    now = int(time.time())
    request.session[LOGGED_IN_AT] = now
    request.session[SEEN_AT] = now


class StaffSessionTimeoutMiddleware:
    """Logs a staff member out after YISHEN_STAFF_IDLE_SECONDS without a request or
    YISHEN_STAFF_SESSION_MAX_SECONDS after the log-in, and sends them to the log-in page
    with a message saying why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Candidates are not users: their requests load no user row for this.
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        logged_in_at = request.session.setdefault(LOGGED_IN_AT, now)
        seen_at = request.session.get(SEEN_AT, now)
        idle = now - seen_at > settings.YISHEN_STAFF_IDLE_SECONDS
        if idle or now - logged_in_at > settings.YISHEN_STAFF_SESSION_MAX_SECONDS:
            logout(request)
            if idle:
                messages.info(
                    request, _("您已较长时间未操作，为保护考生信息已自动退出，请重新登录。")
                )
            else:
                messages.info(
                    request, _("登录时间已达上限，为保护考生信息已自动退出，请重新登录。")
                )
            return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
        if now - seen_at >= SEEN_RESOLUTION_SECONDS or SEEN_AT not in request.session:
            request.session[SEEN_AT] = now
        return self.get_response(request)


class StaffSecondFactorMiddleware:
    """A logged-in staff member who has not passed the second factor in this session reaches
    only the views of YISHEN_STAFF_OTP_EXEMPT_VIEWS; every other page sends them to enter a
    code (or to enrol an authenticator first), and back afterwards."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.resolver_match.view_name in settings.YISHEN_STAFF_OTP_EXEMPT_VIEWS:
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        step = "accounts:staff_otp_verify"
        if not staff_has_second_factor(user=user):
            step = "accounts:staff_otp_setup"
        return redirect_to_login(request.get_full_path(), reverse(step))
