"""The registration system's stand-in (报名系统（演示）): it lists the demo candidates, signs
their entry links as the registration system does, and registers brand-new candidates."""

import random
import time

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.entry import new_nonce, payload_for_candidate, sign_entry_token
from accounts.models import Candidate, ExamYear, TestSite

from .forms import DemoRegisterForm
from .people import DEMO_GIVEN, DEMO_SURNAMES, demo_id_number


def _demo_only():
    if not settings.YISHEN_DEMO:
        raise Http404()


def _demo_entry_redirect(payload: dict):
    token = sign_entry_token(payload, settings.YISHEN_ENTRY_SECRET)
    return redirect(f"{reverse('accounts:entry')}?{urlencode({'t': token})}")


@never_cache
@require_GET
def registration(request):
    _demo_only()
    query = request.GET.get("q", "").strip()
    candidates = Candidate.objects.select_related(
        "exam_year", "province", "site", "category"
    ).filter(exam_year__is_current=True)
    if query:
        candidates = candidates.filter(reg_no__contains=query) | candidates.filter(
            name__contains=query
        )
    candidates = candidates.order_by("-created_at", "reg_no")[:15]
    return render(
        request,
        "demo/registration.html",
        {"candidates": candidates, "form": DemoRegisterForm(), "query": query},
    )


@require_POST
def enter(request, pk: int):
    """「上传相关材料」: sign a fresh token for the candidate, as the registration system does."""
    _demo_only()
    candidate = get_object_or_404(
        Candidate.objects.select_related("exam_year", "province", "site", "category"), pk=pk
    )
    return _demo_entry_redirect(payload_for_candidate(candidate))


@require_POST
def register(request):
    """A brand-new registration: the candidate is created by the entry, as in production."""
    _demo_only()
    form = DemoRegisterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写的报名信息。"))
        return redirect("demo:registration")
    province = form.cleaned_data["province"]
    site = TestSite.objects.filter(province=province).order_by("code").first()
    if site is None:
        messages.error(request, _("该考区还没有考点。"))
        return redirect("demo:registration")
    year = (
        ExamYear.objects.filter(is_current=True).values_list("year", flat=True).first()
        or timezone.localdate().year
    )
    rng = random.SystemRandom()
    name = form.cleaned_data["name"].strip() or (
        rng.choice(DEMO_SURNAMES) + "".join(rng.choice(DEMO_GIVEN) for _i in range(2))
    )
    payload = {
        "reg_no": f"{year % 100:02d}{province.code}{rng.randrange(10**7):07d}",
        "year": year,
        "name": name,
        "id_type": "id_card",
        "id_no": demo_id_number(province.code, rng),
        "province": province.code,
        "site": site.code,
        "category": form.cleaned_data["category"].code,
        "tags": form.cleaned_data["tags"],
        "iat": int(time.time()),
        "nonce": new_nonce(),
    }
    return _demo_entry_redirect(payload)
