"""The reviewer workbench (/review/). Server-rendered; every change goes through
review.services. Who may see what: accounts.selectors (the one scope rule); a candidate
outside the reviewer's scope does not exist for them (404); a candidate session or a user
without a reviewer profile is refused (403)."""

from __future__ import annotations

from contextlib import contextmanager
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import SESSION_KEY as CANDIDATE_SESSION_KEY
from accounts.enums import CandidateStatus
from accounts.http import client_ip
from accounts.models import Candidate
from accounts.selectors import staff_can_see_candidate, staff_profile_of
from config.prepared import PreparedQuery
from materials.enums import ImageStatus
from materials.models import MaterialImage

from . import selectors, services, transitions
from .enums import ActorKind, EventAction
from .forms import (
    REVIEW_ROLES,
    DecisionForm,
    ImageReturnForm,
    NoteForm,
    QueueFilterForm,
    ReviewerLoginForm,
)
from .models import ReviewClaim
from .templatetags.review_tags import status_label

# Failed log-ins allowed per user name and per address within the window.
LOGIN_FAILURES_PER_USER = 5
LOGIN_FAILURES_PER_IP = 20
LOGIN_WINDOW_SECONDS = 15 * 60
QUEUE_PARAMS = ("status", "site", "category", "resubmitted", "overdue", "q")


def reviewer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        profile = staff_profile_of(request.user)
        if profile is None or profile.role not in REVIEW_ROLES:
            if request.user.is_authenticated or request.session.get(CANDIDATE_SESSION_KEY):
                # A candidate session is not a reviewer; nor is a user without a profile.
                raise PermissionDenied(_("仅限审核人员访问。"))
            return redirect_to_login(request.get_full_path(), reverse("review:login"))
        request.staff_profile = profile
        return view(request, *args, **kwargs)

    return wrapper


# --- log-in --------------------------------------------------------------------------------


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


# --- the queue -----------------------------------------------------------------------------


def _queue_filter(request, profile) -> tuple[QueueFilterForm, selectors.QueueFilter]:
    data = request.GET if any(k in request.GET for k in QUEUE_PARAMS) else None
    form = QueueFilterForm(data, profile=profile)
    status = selectors.default_queue_status(profile)
    if data is None:
        form = QueueFilterForm(initial={"status": status}, profile=profile)
        return form, selectors.QueueFilter(status=status)
    if not form.is_valid():
        return form, selectors.QueueFilter(status=status)
    chosen = form.cleaned_data.get("status") or status
    site = form.cleaned_data.get("site")
    category = form.cleaned_data.get("category")
    return form, selectors.QueueFilter(
        status="" if chosen == "all" else chosen,
        site_id=site.pk if site else None,
        category_id=category.pk if category else None,
        resubmitted=form.cleaned_data.get("resubmitted") or False,
        overdue=form.cleaned_data.get("overdue") or False,
        q=form.cleaned_data.get("q") or "",
    )


def _queue_querystring(request) -> str:
    pairs = [(k, v) for k in QUEUE_PARAMS for v in request.GET.getlist(k) if v != ""]
    return urlencode(pairs)


@require_GET
@reviewer_required
def queue(request):
    profile = request.staff_profile
    form, flt = _queue_filter(request, profile)
    cursor = (
        selectors.Cursor.decode(request.GET.get("cursor", "")) if "cursor" in request.GET else None
    )
    rows, next_cursor = selectors.queue_page(profile, flt, cursor=cursor)
    counts = selectors.status_counts(profile)
    qs = _queue_querystring(request)
    now = timezone.now()
    labels = {value: str(label) for value, label in CandidateStatus.choices}
    return render(
        request,
        "review/queue.html",
        {
            "profile": profile,
            "form": form,
            "fields": _filter_fields(form, profile),
            "filter": flt,
            "rows": rows,
            "rows_html": _queue_rows_html(
                _queue_items(rows, labels=labels, qs=qs, now=now, user_pk=request.user.pk)
            ),
            "counts": [(value, labels[value], counts.get(value, 0)) for value in labels],
            "next_cursor": next_cursor.encode() if next_cursor else "",
            "paged": cursor is not None,
            "qs": qs,
            "now": now,
        },
    )


def _options(choices, selected: str) -> str:
    """<option>s of a filter <select>, built here: Django's Select widget renders every
    option through a template, which cost more than the whole queue query."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == selected else "", label) for value, label in choices),
    )


def _filter_fields(form: QueueFilterForm, profile) -> dict:
    """What the filter form shows: each field's label and current value (the submitted text,
    as a re-rendered form shows it, or the initial status) and the <select> options (sites
    and exam categories from the cached `selectors.queue_filter_options`)."""
    if form.is_bound:

        def value(name: str) -> str:
            return form.data.get(name) or ""

        def checked(name: str) -> bool:
            return form.fields[name].widget.value_from_datadict(form.data, form.files, name)

    else:

        def value(name: str) -> str:
            return str(form.initial.get(name) or "")

        def checked(name: str) -> bool:
            return False

    options = selectors.queue_filter_options(profile)
    everything = [("", _("全部"))]
    fields = {
        "q": {"label": form.fields["q"].label, "value": value("q")},
        "status": {
            "label": form.fields["status"].label,
            "options": _options(form.fields["status"].choices, value("status")),
        },
        "category": {
            "label": form.fields["category"].label,
            "options": _options(everything + options["categories"], value("category")),
        },
        "resubmitted": {
            "label": form.fields["resubmitted"].label,
            "checked": checked("resubmitted"),
        },
        "overdue": {"label": form.fields["overdue"].label, "checked": checked("overdue")},
    }
    if "site" in form.fields:
        fields["site"] = {
            "label": form.fields["site"].label,
            "options": _options(everything + options["sites"], value("site")),
        }
    return fields


def _queue_items(rows, *, labels: dict, qs: str, now, user_pk: int) -> list[dict]:
    """What each row of the queue shows, computed once here rather than through template
    filters and tags per cell (50 rows: the tags cost more than the query)."""
    marker = 987654321
    head, tail = reverse("review:candidate", kwargs={"pk": marker}).split(str(marker))
    tail += f"?{qs}" if qs else ""
    resubmitted = _("退回后重新提交")
    overdue = _("已过修改截止时间")
    items = []
    for row in rows:
        claim = row.claim if _has_claim(row) else None
        holder = (
            claim.reviewer
            if claim is not None and claim.expires_at > now and claim.reviewer_id != user_pk
            else None
        )
        notes = []  # (CSS class, text): a tag, or plain text without a class
        if row.returned_by and row.status != CandidateStatus.RETURNED:
            notes.append(("tag", resubmitted))
        if row.status == CandidateStatus.RETURNED and row.reply_deadline:
            if row.reply_deadline < now:
                notes.append(("tag overdue", overdue))
            else:
                moment = timezone.localtime(row.reply_deadline).strftime("%m-%d %H:%M")
                notes.append(("", _("修改截止 %(d)s") % {"d": moment}))
        if holder is not None:
            who = holder.get_full_name() or holder.get_username()
            notes.append(("tag claimed", _("%(who)s 正在审核") % {"who": who}))
        items.append(
            {
                "url": f"{head}{row.pk}{tail}",
                "reg_no": row.reg_no,
                "name": row.name,
                "site": row.site.name,
                "category": row.category.name,
                "status": row.status,
                "status_label": labels.get(row.status, row.status),
                "submitted": (
                    timezone.localtime(row.submitted_at).strftime("%Y-%m-%d %H:%M")
                    if row.submitted_at
                    else "—"
                ),
                # A nested {% for %} per row cost more than the rest of the row.
                "notes": format_html_join(
                    " ",
                    "{}",
                    (
                        (format_html('<span class="{}">{}</span>', cls, text) if cls else text,)
                        for cls, text in notes
                    ),
                ),
            }
        )
    return items


# One row of the queue table. Built with format_html (every value escaped), as the admin
# builds its result lists: 50 rows through the template engine cost about 2 ms a page, more
# than half the queue query itself.
QUEUE_ROW_HTML = (
    '<tr><td><a href="{url}">{reg_no}</a></td><td>{name}</td><td>{site}</td>'
    "<td>{category}</td>"
    '<td><span class="status status-{status}">{status_label}</span></td>'
    '<td>{submitted}</td><td class="small">{notes}</td></tr>'
)


def _queue_rows_html(items: list[dict]) -> str:
    return format_html_join("\n", QUEUE_ROW_HTML, items)


def _has_claim(candidate) -> bool:
    # The reverse one-to-one was fetched with select_related; a missing claim is cached as None.
    try:
        return candidate.claim is not None
    except ReviewClaim.DoesNotExist:
        return False


# --- the candidate page --------------------------------------------------------------------


# A candidate by id, alone or with what its page shows; compiled once (config.prepared):
# nearly every workbench request reads one.
_CANDIDATE_BY_ID = {
    False: PreparedQuery(Candidate, lambda pk: Candidate.objects.filter(pk=pk)),
    True: PreparedQuery(
        Candidate,
        lambda pk: Candidate.objects.select_related(
            "province", "site", "category", "exam_year"
        ).filter(pk=pk),
    ),
}


def _visible_candidate(request, pk: int, *, related: bool = False):
    """The candidate if the reviewer may see it (the scope rule, accounts.selectors), else
    404 as for one that does not exist. `related`: with its province, site, category and
    year, for the page that shows them."""
    candidate = _CANDIDATE_BY_ID[related].get(pk)
    if candidate is None or not staff_can_see_candidate(request.user, candidate):
        raise Http404
    return candidate


def _candidate_url(candidate_pk: int, qs: str, anchor: str = "") -> str:
    url = reverse("review:candidate", kwargs={"pk": candidate_pk})
    if qs:
        url += f"?{qs}"
    return url + (f"#{anchor}" if anchor else "")


def _back_qs(request) -> str:
    """The queue filters travel with the reviewer (for «save and next»); only the known
    parameters are kept."""
    posted = QueryDict((request.POST.get("queue") or "").lstrip("?")[:1000])
    return urlencode([(k, v) for k in QUEUE_PARAMS for v in posted.getlist(k) if v != ""])


@require_GET
@reviewer_required
def candidate(request, pk: int):
    profile = request.staff_profile
    candidate = _visible_candidate(request, pk, related=True)
    now = timezone.now()
    claim = services.claim_take(candidate=candidate, by=request.user, now=now)
    held_by = (
        claim.reviewer
        if claim is not None and claim.reviewer_id != request.user.pk and claim.expires_at > now
        else None
    )
    level = transitions.acting_level(profile, candidate.status)
    can_act = level is not None and held_by is None
    can_reject_returned = (
        candidate.status == CandidateStatus.RETURNED
        and held_by is None
        and transitions.can_take(profile, candidate, "reject")
    )
    blocks = selectors.candidate_material_blocks(candidate)
    reasons = selectors.return_reasons(candidate.province)
    pending = sum(
        1
        for block in blocks
        for img in block.images
        if img.status == "pending" and img.processing == "ready"
    )
    qs = _queue_querystring(request)
    events = selectors.candidate_history(candidate)
    _prepare_candidate_page(candidate, blocks, events)
    return render(
        request,
        "review/candidate.html",
        {
            "profile": profile,
            "candidate": candidate,
            "claim": claim,
            "held_by": held_by,
            "level": level,
            "can_act": can_act,
            "can_reject_returned": can_reject_returned,
            "blocks": blocks,
            "reasons": reasons,
            "reason_options": format_html_join(
                "", '<option value="{}">{}</option>', ((r.pk, r.text) for r in reasons)
            ),
            "pending": pending,
            "feedback": list(selectors.feedback_for_candidate(candidate).select_related("author")),
            "notes": selectors.candidate_notes(candidate),
            "sms": selectors.candidate_messages(candidate),
            "events": events,
            "submitted_message": selectors.submitted_message(candidate),
            "qs": qs,
            "note_form": NoteForm(),
            "now": now,
        },
    )


class _UrlPattern:
    """A URL reversed once with placeholder ids, filled in per row: a page of 8 photos needs
    40 links, and `reverse` per link cost about a millisecond."""

    MARKERS = (987654321, 987654322)

    def __init__(self, name: str, **kwargs):
        url = reverse(name, kwargs=kwargs)
        for n, marker in enumerate(self.MARKERS):
            url = url.replace(str(marker), f"{{{n}}}")
        self.template = url

    def __call__(self, *ids: int) -> str:
        return self.template.format(*ids)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _prepare_candidate_page(candidate, blocks, events) -> None:
    """Labels, links and names of the photos and of the history, computed once here rather
    than through `get_FOO_display`, `{% url %}` and filters per photo and per event (what
    the page spent most of its time on)."""
    m1, m2 = _UrlPattern.MARKERS
    image_url = _UrlPattern("materials:image", pk=m1, variant="display")
    original_url = _UrlPattern("materials:image", pk=m1, variant="original")
    approve_url = _UrlPattern("review:image_approve", pk=m1, image_pk=m2)
    return_url = _UrlPattern("review:image_return", pk=m1, image_pk=m2)
    image_labels = {value: str(label) for value, label in ImageStatus.choices}
    action_labels = {value: str(label) for value, label in EventAction.choices}
    kind_labels = {value: str(label) for value, label in ActorKind.choices}

    def local(value, fmt: str) -> str:
        return timezone.localtime(value).strftime(fmt) if value else ""

    for block in blocks:
        for img in block.images:
            img.display_url = image_url(img.pk)
            img.original_url = original_url(img.pk)
            img.approve_url = approve_url(candidate.pk, img.pk)
            img.return_url = return_url(candidate.pk, img.pk)
            img.status_label = image_labels.get(img.status, img.status)
            img.uploaded = local(img.uploaded_at, "%m-%d %H:%M")
            img.decided_by_name = _name(img.decided_by) if img.decided_by_id else ""
            for old in img.replaced_versions:
                old.display_url = image_url(old.pk)
                old.status_label = image_labels.get(old.status, old.status)
                old.removed = local(old.removed_at, "%m-%d %H:%M")
        for old in block.removed_versions:
            old.display_url = image_url(old.pk)
            old.status_label = image_labels.get(old.status, old.status)
            old.removed = local(old.removed_at, "%m-%d %H:%M")
    for event in events:
        event.when = local(event.created_at, "%m-%d %H:%M:%S")
        event.actor_label = (
            _name(event.actor)
            if event.actor_id
            else kind_labels.get(event.actor_kind, event.actor_kind)
        )
        event.action_label = action_labels.get(event.action, event.action)
        event.change = (
            f"{status_label(event.from_status)} → {status_label(event.to_status)}"
            if event.to_status and event.to_status != event.from_status
            else ""
        )


@contextmanager
def _not_found_outside_scope():
    """For the POST views that hand the ids straight to a service: a candidate (or photo)
    outside the reviewer's scope, or none at all, is a 404, as on every other page."""
    try:
        yield
    except services.NotInScope:
        raise Http404 from None


def _fail(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_POST
@reviewer_required
def image_approve(request, pk: int, image_pk: int):
    # No row is read here: the service locks the candidate and the photo, checks the scope
    # and answers NotInScope for a candidate or photo the reviewer may not see (404).
    image = MaterialImage(pk=image_pk, candidate_id=pk)
    with _not_found_outside_scope():
        try:
            services.image_approve(
                image=image,
                by=request.user,
                ip=client_ip(request),
                expected_status=request.POST.get("expected_status") or None,
            )
        except ValidationError as exc:
            _fail(request, exc)
    return redirect(_candidate_url(pk, _back_qs(request), f"photo-{image_pk}"))


@require_POST
@reviewer_required
def image_return(request, pk: int, image_pk: int):
    candidate = _visible_candidate(request, pk)
    # Only which photo: the service locks and reads the row itself.
    image = get_object_or_404(
        MaterialImage.objects.only("candidate"), pk=image_pk, candidate=candidate
    )
    form = ImageReturnForm(request.POST, province=candidate.province_id)
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [_("请选择退回原因。")]:
            messages.error(request, error)
    else:
        try:
            services.image_return(
                image=image,
                by=request.user,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
                ip=client_ip(request),
                expected_status=form.cleaned_data["expected_status"] or None,
            )
        except ValidationError as exc:
            _fail(request, exc)
    return redirect(_candidate_url(candidate.pk, _back_qs(request), f"photo-{image.pk}"))


@require_POST
@reviewer_required
def approve_remaining(request, pk: int):
    candidate = _visible_candidate(request, pk)
    try:
        n = services.images_approve_remaining(
            candidate=candidate,
            by=request.user,
            ip=client_ip(request),
            expected_status=request.POST.get("expected_status") or None,
        )
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("已通过 %(n)s 张待审核图片。") % {"n": n})
    return redirect(_candidate_url(candidate.pk, _back_qs(request)))


DONE_MESSAGES = {
    "site_pass": gettext_lazy("已考点通过。"),
    "return": gettext_lazy("已退回考生，并已发送短信通知。"),
    "return_to_site": gettext_lazy("已退回考点重新审核。"),
    "approve": gettext_lazy("已审核通过，并已发送短信通知。"),
    "reject": gettext_lazy("已审核拒绝，并已发送短信通知。"),
}


@require_POST
@reviewer_required
def decide(request, pk: int):
    form = DecisionForm(request.POST)
    qs = _back_qs(request)
    if not form.is_valid():
        _visible_candidate(request, pk)  # 404 outside the scope
        messages.error(request, _("请选择操作。"))
        return redirect(_candidate_url(pk, qs))
    data = form.cleaned_data
    action = data["action"]
    # The service locks and reads the row and checks the scope (NotInScope: 404); a return
    # of a whole category needs the candidate first, to find the category.
    candidate = Candidate(pk=pk)
    common = {
        "candidate": candidate,
        "by": request.user,
        "ip": client_ip(request),
        "expected_status": data["expected_status"] or None,
    }
    with _not_found_outside_scope():
        try:
            if action == "site_pass":
                services.candidate_site_pass(message=data["message"], **common)
            elif action == "return":
                items = []
                if data.get("item_category"):
                    from materials.selectors import category_for_candidate

                    common["candidate"] = candidate = _visible_candidate(request, pk)
                    category = category_for_candidate(candidate, data["item_category"])
                    if category is None:
                        raise ValidationError(_("材料类别不存在。"))
                    items.append(
                        services.CategoryItem(
                            category=category, reason=data.get("item_reason") or ""
                        )
                    )
                services.candidate_return(message=data["message"], category_items=items, **common)
            elif action == "return_to_site":
                services.candidate_return_to_site(message=data["message"], **common)
            elif action == "approve":
                services.candidate_approve(message=data["message"], **common)
            elif action == "reject":
                services.candidate_reject(reason=data["message"], **common)
        except ValidationError as exc:
            _fail(request, exc)
            return redirect(_candidate_url(pk, qs))
    messages.success(request, f"{candidate.reg_no} {candidate.name}：{DONE_MESSAGES[action]}")
    if data.get("next"):
        return redirect(_next_url(pk, qs))
    return redirect(_candidate_url(pk, qs))


def _next_url(candidate_pk: int, qs: str) -> str:
    url = reverse("review:next", kwargs={"pk": candidate_pk})
    return f"{url}?{qs}" if qs else url


@require_GET
@reviewer_required
def next_candidate(request, pk: int):
    """«下一位»: the next candidate of the same queue (filters in the query string)."""
    profile = request.staff_profile
    current = _visible_candidate(request, pk)
    _form, flt = _queue_filter(request, profile)
    following = selectors.next_in_queue(profile, flt, after=current)
    qs = _queue_querystring(request)
    if following is None:
        messages.info(request, _("当前队列已全部处理完。"))
        url = reverse("review:queue")
        return redirect(f"{url}?{qs}" if qs else url)
    return redirect(_candidate_url(following.pk, qs))


@require_POST
@reviewer_required
def note(request, pk: int):
    candidate = _visible_candidate(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_create(
                candidate=candidate,
                by=request.user,
                text=form.cleaned_data["text"],
                ip=client_ip(request),
            )
            messages.success(request, _("备注已保存（仅审核人员可见）。"))
        except ValidationError as exc:
            _fail(request, exc)
    else:
        messages.error(request, _("备注内容不能为空。"))
    return redirect(_candidate_url(candidate.pk, _back_qs(request), "notes"))


@require_POST
@reviewer_required
def release(request, pk: int):
    candidate = _visible_candidate(request, pk)
    services.claim_release(candidate=candidate, by=request.user)
    url = reverse("review:queue")
    qs = _back_qs(request)
    return redirect(f"{url}?{qs}" if qs else url)


# --- dashboard -----------------------------------------------------------------------------


@require_GET
@reviewer_required
def dashboard(request):
    profile = request.staff_profile
    data = selectors.dashboard(profile)
    return render(request, "review/dashboard.html", {"profile": profile, **data})
