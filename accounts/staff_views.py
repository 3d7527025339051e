"""The staff's second factor, after the password (workbench and admin alike): enrolment of
an authenticator with a QR code, the recovery codes shown once, and the code on each log-in.
The rules live in accounts.services.staff_otp; accounts.middleware sends staff here.
Before all that, a new account's one-time link (staff_welcome) sets its first password."""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from .forms import StaffOtpForm, StaffOtpSetupForm
from .services import (
    staff_has_second_factor,
    staff_invite_find,
    staff_invite_redeem,
    staff_second_factor_check,
    staff_totp_confirm,
    staff_totp_pending,
)

RECOVERY_CODES_KEY = "yishen_staff_recovery_codes"


def _next_url(request) -> str:
    """Where the page asked for before the second factor was (the workbench by default)."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _step(name: str, request):
    """A redirect to another step of the second factor, carrying `next` along."""
    return redirect(f"{reverse(name)}?{urlencode({'next': _next_url(request)})}")


def _verified(request, device) -> None:
    """The session passes the second factor, under a new id (no fixation across the step)."""
    django_otp.login(request, device)
    request.session.cycle_key()


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    user = request.user
    if not staff_has_second_factor(user=user):
        return _step("accounts:staff_otp_setup", request)
    if user.is_verified():
        return redirect(_next_url(request))
    form = StaffOtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = staff_second_factor_check(user=user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error("token", exc)
        else:
            _verified(request, device)
            return redirect(_next_url(request))
    return render(
        request, "accounts/staff_otp_verify.html", {"form": form, "next": _next_url(request)}
    )


def _secret_groups(device) -> str:
    """The key as people type it into an authenticator: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    user = request.user
    if staff_has_second_factor(user=user):
        return _step("accounts:staff_otp_verify", request)
    device = staff_totp_pending(user=user)
    form = StaffOtpSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = staff_totp_confirm(user=user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error("token", exc)
        else:
            _verified(request, device)
            request.session[RECOVERY_CODES_KEY] = codes
            return _step("accounts:staff_otp_recovery_codes", request)
    # The QR code is drawn here, as an inline SVG image: nothing is fetched from elsewhere.
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
    context = {"form": form, "qr": qr, "secret": _secret_groups(device), "next": _next_url(request)}
    return render(request, "accounts/staff_otp_setup.html", context)


@never_cache
@login_required
@require_http_methods(["GET"])
def otp_recovery_codes(request):
    """The recovery codes, once: they leave the session as they are shown."""
    codes = request.session.pop(RECOVERY_CODES_KEY, None)
    context = {"codes": codes, "next": _next_url(request)}
    if codes is None:
        context["gone"] = _("恢复码只在绑定时显示一次。如已遗失，请联系超级管理员重置双因素认证。")
    return render(request, "accounts/staff_otp_recovery_codes.html", context)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def staff_welcome(request, token: str):
    """The one-time link from the SMS: the new account sets its password, is logged in, and
    goes on to enrol its authenticator (the middleware allows nothing else until then)."""
    try:
        invite = staff_invite_find(token=token)
    except ValidationError as exc:
        return render(
            request, "accounts/staff_welcome.html", {"refused": exc.messages[0]}, status=410
        )
    form = SetPasswordForm(invite.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_invite_redeem(token=token, password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            return render(
                request, "accounts/staff_welcome.html", {"refused": exc.messages[0]}, status=410
            )
        auth_login(request, user, backend="accounts.backends.StaffModelBackend")
        return redirect("accounts:staff_otp_setup")
    return render(request, "accounts/staff_welcome.html", {"form": form, "account": invite.user})
