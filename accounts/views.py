import logging
from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .auth import candidate_login, candidate_logout, candidate_required, current_candidate
from .entry import (
    REFUSAL_PAGES,
    EntryRefusal,
    EntryTokenError,
    claims_from_payload,
    verify_entry_token,
)
from .enums import ActivationStep
from .forms import (
    AddressForm,
    CodeForm,
    ConfirmRegistrationForm,
    ConsentForm,
    PhoneForm,
)
from .http import client_ip
from .selectors import (
    CODE_MAX_ATTEMPTS,
    CODE_RESEND_SECONDS,
    CODE_TTL,
    CODES_PER_HOUR,
    activation_step,
    handoff_state,
    phone_code_state,
    registration_changes_text,
)
from .services import (
    HANDOFF_LIFETIME,
    HandoffRefusal,
    candidate_confirm_registration,
    candidate_enter,
    candidate_give_consent,
    candidate_language_set,
    candidate_registration_changes_dismiss,
    candidate_set_address,
    handoff_consume,
    handoff_create,
    handoff_used_by,
    phone_code_send,
    phone_code_verify,
)

logger = logging.getLogger("accounts.entry")


def material_page_url() -> str:
    try:
        return reverse("materials:page")
    except NoReverseMatch:  # the materials app not routed yet
        return "/materials/"


def _first_message(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else _("操作未完成，请重试。")


# --- home and entry ------------------------------------------------------------------------


@require_GET
def home(request):
    return render(
        request,
        "accounts/home.html",
        {"candidate": current_candidate(request), "material_url": material_page_url()},
    )


@never_cache
@require_GET
def entry(request):
    token = request.GET.get("t", "")
    ip = client_ip(request)
    claims = None
    try:
        payload = verify_entry_token(token, secret=settings.YISHEN_ENTRY_SECRET)
        claims = claims_from_payload(payload)
        result = candidate_enter(claims=claims, ip=ip)
    except EntryTokenError as exc:
        return _entry_refused(request, exc.code, detail=exc.detail, ip=ip)
    except ValidationError as exc:
        return _entry_refused(
            request,
            exc.code or EntryRefusal.MALFORMED,
            detail=_first_message(exc),
            ip=ip,
            reg_no=claims.reg_no if claims else "",
        )
    candidate_login(request, result.candidate)
    candidate_language_set(candidate=result.candidate, language=translation.get_language())
    logger.info(
        "entry accepted: candidate %s reg_no=%s created=%s changes=%s ip=%s",
        result.candidate.pk,
        result.candidate.reg_no,
        result.created,
        [c["field"] for c in result.changes],
        ip,
    )
    # Everyone goes to the material page, which knows the upload window: a candidate who has
    # not activated is sent on to the activation steps from there, or told first that the
    # window is not open (materials decides; accounts does not read the window rule).
    return redirect(material_page_url())


def _entry_refused(request, code: str, *, detail: str, ip: str | None, reg_no: str = ""):
    # The token itself is never logged: it carries the ID number.
    logger.warning("entry refused: %s (%s) reg_no=%s ip=%s", code, detail, reg_no or "-", ip)
    status, title = REFUSAL_PAGES.get(code, REFUSAL_PAGES[EntryRefusal.MALFORMED])
    response = render(
        request,
        "accounts/entry_refused.html",
        {
            "title": title,
            "code": code,
            "disabled": code == EntryRefusal.ENTRY_DISABLED,
            "registration_url": settings.YISHEN_REGISTRATION_URL,
            "token_minutes": settings.YISHEN_ENTRY_TOKEN_SECONDS // 60,
            "candidate": current_candidate(request),
            "material_url": material_page_url(),
        },
        status=status,
    )
    return response


@require_GET
def entry_needed(request):
    return render(
        request,
        "accounts/entry_needed.html",
        {"registration_url": settings.YISHEN_REGISTRATION_URL},
    )


@require_POST
def logout(request):
    candidate_logout(request)
    messages.info(request, _("您已退出。"))
    return redirect("accounts:home")


# --- the language switch on every page (templates/_language_switch.html) -------------------


@require_POST
def set_language(request):
    """Django's set_language (the language cookie, then back to `next`); a logged-in
    candidate's choice is also kept on the candidate, for the SMS about their review. A
    language the site does not offer changes nothing (Django's view would take any language
    it has a catalogue of)."""
    if request.POST.get("language") not in dict(settings.LANGUAGES):
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = "/"
        return redirect(next_url)
    response = i18n.set_language(request)
    candidate = current_candidate(request, related=())
    if candidate is not None:
        candidate_language_set(candidate=candidate, language=request.POST.get("language", ""))
    return response


def _language_cookie_set(response, language: str) -> None:
    # As django.views.i18n.set_language writes it.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# --- continue on the phone (QR hand-off) ---------------------------------------------------


def _handoff_status_texts() -> dict[str, str]:
    return {
        "pending": _("请用手机扫描二维码，10 分钟内有效，只能使用一次。"),
        "used": _("已在手机上打开。此二维码已失效；如需再次使用，请重新生成。"),
        "expired": _("二维码已失效，请重新生成。"),
    }


@never_cache
@require_POST
@candidate_required
def handoff_new(request):
    """A new single-use link for this candidate's phone, shown as a QR code and as text. The
    material page's script asks for the fragment; without script the whole page comes."""
    token, raw = handoff_create(candidate=request.candidate, ip=client_ip(request))
    url = request.build_absolute_uri(reverse("accounts:handoff_open", args=[raw]))
    qr = segno.make(url, error="m")
    context = {
        "handoff": token,
        "handoff_url": url,
        # segno writes plain SVG (no script, no style attribute), drawn here: nothing fetched.
        "qr_svg": qr.svg_inline(scale=5, border=2, title=_("在手机上继续的二维码")),
        "minutes": int(HANDOFF_LIFETIME.total_seconds() // 60),
        "status_text": _handoff_status_texts()["pending"],
        "material_url": material_page_url(),
    }
    template = "accounts/_handoff.html" if _wants_fragment(request) else "accounts/handoff.html"
    return render(request, template, context)


def _wants_fragment(request) -> bool:
    return request.headers.get("X-Yishen-Fragment") == "1"


@never_cache
@require_GET
@candidate_required
def handoff_status(request, pk: int):
    """The desktop's poll: has the phone opened the link? Only the candidate's own links."""
    state = handoff_state(candidate=request.candidate, pk=pk)
    if state is None:
        raise Http404
    return JsonResponse({"state": state, "text": _handoff_status_texts()[state]})


@never_cache
@require_GET
def handoff_open(request, token: str):
    """The phone opens the QR link: logged in as the candidate who made it, like an entry."""
    ip = client_ip(request)
    # The phone that opened the link reloads it (or goes back to it): it is logged in as the
    # link's candidate already, so it continues on the page instead of being refused. Anyone
    # else still gets the refusal below.
    session_candidate = current_candidate(request)
    if session_candidate is not None and handoff_used_by(raw=token, candidate=session_candidate):
        return redirect(material_page_url())
    try:
        candidate = handoff_consume(raw=token, ip=ip)
    except ValidationError as exc:
        logger.warning("handoff refused: %s ip=%s", exc.code, ip)
        return render(
            request,
            "accounts/handoff_refused.html",
            {
                "message": _first_message(exc),
                "code": exc.code,
                "minutes": int(HANDOFF_LIFETIME.total_seconds() // 60),
                "registration_url": settings.YISHEN_REGISTRATION_URL,
            },
            status=404 if exc.code == HandoffRefusal.INVALID else 410,
        )
    candidate_login(request, candidate)
    logger.info("handoff accepted: candidate %s ip=%s", candidate.pk, ip)
    # The phone continues in the language the candidate uses on the computer.
    translation.activate(candidate.language)
    messages.success(
        request, _("已在本机登录，可以继续上传材料。电脑上的页面已显示此二维码已使用。")
    )
    if not candidate.is_activated:
        response = redirect("accounts:activate")
    else:
        response = redirect(material_page_url())
    _language_cookie_set(response, candidate.language)
    return response


# --- activation ----------------------------------------------------------------------------

STEP_URLS = {
    ActivationStep.CONFIRM: "accounts:activate_confirm",
    ActivationStep.CONSENT: "accounts:activate_consent",
    ActivationStep.PHONE: "accounts:activate_phone",
    ActivationStep.ADDRESS: "accounts:activate_address",
}
STEP_TITLES = {
    ActivationStep.CONFIRM: gettext_lazy("确认报名信息"),
    ActivationStep.CONSENT: gettext_lazy("个人信息处理同意"),
    ActivationStep.PHONE: gettext_lazy("验证手机号码"),
    ActivationStep.ADDRESS: gettext_lazy("填写联系地址"),
}


def _current_step(candidate) -> str:
    step = activation_step(candidate)
    if step == ActivationStep.DONE:
        # All data present but not yet marked (e.g. data typed by an operator): last step.
        step = ActivationStep.ADDRESS
    return step


@candidate_required(activated=False)
def activate(request):
    if request.candidate.is_activated:
        return redirect(material_page_url())
    return redirect(STEP_URLS[_current_step(request.candidate)])


def _guard(request, step: str):
    """None when `step` is the candidate's current step; else where to go instead."""
    if request.candidate.is_activated:
        return redirect(material_page_url())
    current = _current_step(request.candidate)
    if current != step:
        if ActivationStep.ORDER.index(step) > ActivationStep.ORDER.index(current):
            messages.warning(request, _("请按顺序完成激活步骤。"))
        return redirect(STEP_URLS[current])
    return None


def _steps_context(step: str) -> dict:
    index = ActivationStep.ORDER.index(step)
    return {
        "steps": [
            {
                "number": i + 1,
                "title": STEP_TITLES[name],
                "state": "done" if i < index else ("current" if i == index else "todo"),
            }
            for i, name in enumerate(ActivationStep.ORDER)
        ],
        "step_number": index + 1,
        "step_count": len(ActivationStep.ORDER),
        "step_title": STEP_TITLES[step],
    }


def _activation_step_view(step: str):
    """The page of one activation step: not cached, GET and POST, for a candidate not yet
    activated, and only while `step` is their current step (else they go where they should)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request):
            if (response := _guard(request, step)) is not None:
                return response
            return view(request)

        return never_cache(
            require_http_methods(["GET", "POST"])(candidate_required(activated=False)(wrapper))
        )

    return decorator


def _step_page(request, step: str, template: str, form, *, status: int = 200, **context):
    return render(
        request,
        template,
        {"form": form, "candidate": request.candidate, **context, **_steps_context(step)},
        status=status,
    )


@_activation_step_view(ActivationStep.CONFIRM)
def activate_confirm(request):
    form = ConfirmRegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            candidate_confirm_registration(candidate=request.candidate, ip=client_ip(request))
        except ValidationError as exc:
            messages.error(request, _first_message(exc))
        return redirect("accounts:activate")
    return _step_page(
        request,
        ActivationStep.CONFIRM,
        "accounts/activate_confirm.html",
        form,
        registration_url=settings.YISHEN_REGISTRATION_URL,
    )


@_activation_step_view(ActivationStep.CONSENT)
def activate_consent(request):
    form = ConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            candidate_give_consent(
                candidate=request.candidate,
                agreed=form.cleaned_data["agree"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            # On the field, as every refusal of a candidate's form (CandidateForm).
            form.add_error("agree", exc)
        else:
            return redirect("accounts:activate")
    return _step_page(request, ActivationStep.CONSENT, "accounts/activate_consent.html", form)


def _phone_context(candidate, phone_form, code_form) -> dict:
    state = phone_code_state(candidate=candidate)
    return {
        "candidate": candidate,
        "phone_form": phone_form,
        "code_form": code_form,
        "state": state,
        "pending_phone": (
            f"{state.pending.phone[:3]}****{state.pending.phone[-4:]}" if state.pending else ""
        ),
        "code_minutes": int(CODE_TTL.total_seconds() // 60),
        "max_attempts": CODE_MAX_ATTEMPTS,
        "resend_seconds": CODE_RESEND_SECONDS,
        "codes_per_hour": CODES_PER_HOUR,
    }


def _handle_phone_post(request, candidate):
    """The send and verify buttons of the phone step and of the profile page. Returns
    (phone_form, code_form, verified)."""
    action = request.POST.get("action")
    phone_form = PhoneForm(request.POST if action == "send" else None)
    code_form = CodeForm(request.POST if action == "verify" else None)
    ip = client_ip(request)
    if action == "send" and phone_form.is_valid():
        try:
            phone_code_send(candidate=candidate, phone=phone_form.cleaned_data["phone"], ip=ip)
        except ValidationError as exc:
            # Same number, resend wait, hourly limit: said at the number (CandidateForm).
            phone_form.add_error("phone", exc)
        else:
            minutes = int(CODE_TTL.total_seconds() // 60)
            messages.success(
                request,
                ngettext(
                    "验证码已发送，%(minutes)d 分钟内有效。",
                    "验证码已发送，%(minutes)d 分钟内有效。",
                    minutes,
                )
                % {"minutes": minutes},
            )
            return phone_form, code_form, "sent"
    elif action == "verify" and code_form.is_valid():
        try:
            phone_code_verify(candidate=candidate, code=code_form.cleaned_data["code"], ip=ip)
        except ValidationError as exc:
            code_form.add_error("code", exc)
        else:
            return phone_form, code_form, "verified"
    return phone_form, code_form, None


@_activation_step_view(ActivationStep.PHONE)
def activate_phone(request):
    candidate = request.candidate
    if request.method == "POST":
        phone_form, code_form, outcome = _handle_phone_post(request, candidate)
        if outcome == "verified":
            messages.success(request, _("手机号码验证成功。"))
            return redirect("accounts:activate")
        if outcome == "sent":
            return redirect("accounts:activate_phone")
        status = 400
    else:
        state = phone_code_state(candidate=candidate)
        initial = {"phone": state.pending.phone} if state.pending else {}
        phone_form, code_form, status = PhoneForm(initial=initial), CodeForm(), 200
    return render(
        request,
        "accounts/activate_phone.html",
        {
            **_phone_context(candidate, phone_form, code_form),
            **_steps_context(ActivationStep.PHONE),
        },
        status=status,
    )


def _address_saved(request, candidate, form) -> bool:
    """The address form of the last activation step and of the profile page: True once the
    service has saved the address; its refusal stands on the field."""
    if not form.is_valid():
        return False
    try:
        candidate_set_address(
            candidate=candidate, address=form.cleaned_data["address"], ip=client_ip(request)
        )
    except ValidationError as exc:
        form.add_error("address", exc)
        return False
    return True


@_activation_step_view(ActivationStep.ADDRESS)
def activate_address(request):
    form = AddressForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and _address_saved(request, request.candidate, form):
        messages.success(request, _("激活成功，请上传报名材料。"))
        return redirect(material_page_url())
    return _step_page(
        request,
        ActivationStep.ADDRESS,
        "accounts/activate_address.html",
        form,
        status=400 if form.is_bound else 200,
    )


# --- profile -------------------------------------------------------------------------------


def _profile_page(request, *, phone_form=None, code_form=None, address_form=None, status=200):
    candidate = request.candidate
    return render(
        request,
        "accounts/profile.html",
        {
            **_phone_context(
                candidate,
                PhoneForm() if phone_form is None else phone_form,
                CodeForm() if code_form is None else code_form,
            ),
            "address_form": (
                AddressForm(initial={"address": candidate.address})
                if address_form is None
                else address_form
            ),
            "material_url": material_page_url(),
            "registration_changes": registration_changes_text(candidate),
        },
        status=status,
    )


@never_cache
@require_GET
@candidate_required
def profile(request):
    return _profile_page(request)


@never_cache
@require_POST
@candidate_required
def profile_phone(request):
    phone_form, code_form, outcome = _handle_phone_post(request, request.candidate)
    if outcome == "verified":
        messages.success(request, _("手机号码已修改。"))
        return redirect(material_page_url())
    if outcome == "sent":
        return redirect("accounts:profile")
    return _profile_page(request, phone_form=phone_form, code_form=code_form, status=400)


@never_cache
@require_POST
@candidate_required
def profile_address(request):
    form = AddressForm(request.POST)
    if _address_saved(request, request.candidate, form):
        messages.success(request, _("联系地址已修改。"))
        return redirect(material_page_url())
    return _profile_page(request, address_form=form, status=400)


@require_POST
@candidate_required
def registration_changes_dismiss(request):
    candidate_registration_changes_dismiss(candidate=request.candidate)
    return redirect(material_page_url())
