"""The candidate's material page and the permission-checked photo responses.

Every action works as a plain form post (no JavaScript: redirect back to the page with a
message) and as a fetch from static/materials/page.js (header X-Yishen-Fragment: the server
answers with the re-rendered category section and status panel, which the script swaps in)."""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.auth import candidate_required, current_candidate
from accounts.enums import CandidateStatus
from accounts.http import client_ip
from accounts.selectors import registration_changes_text, staff_can_see_candidate

from .enums import DEFAULT_MAX_BYTES, ImageStatus
from .forms import UploadForm
from .models import MaterialCategory, MaterialImage
from .pagecontext import category_blocks, page_panel, window_next_step
from .photosize import photo_rule
from .rules import image_can_delete, upload_window_state
from .selectors import categories_for_candidate, category_for_candidate
from .services import image_delete, image_upload
from .signals import image_viewed
from .validation import (
    FORMAT_LABELS,
    HEIC_MESSAGE,
    empty_text,
    not_allowed_text,
    pdf_text,
    unrecognised_text,
)

VARIANTS = {"display", "thumb", "original"}
# A staff member's look at these leaves an audit row. The thumbnails are the lists' (the
# candidate page that shows them is audited itself).
AUDITED_VARIANTS = {"display", "original"}
CATEGORY_TAG = "cat-"


def _wants_fragment(request) -> bool:
    return request.headers.get("X-Yishen-Fragment") == "1"


def _page_url(anchor: str = "") -> str:
    url = reverse("materials:page")
    return f"{url}#{anchor}" if anchor else url


def _split_messages(request):
    """Messages addressed to a category (extra tag "cat-<id>") are shown inside that
    category; the rest at the top of the page."""
    general, per_category = [], {}
    for message in messages.get_messages(request):
        tag = next((t for t in message.extra_tags.split() if t.startswith(CATEGORY_TAG)), None)
        if tag:
            per_category.setdefault(int(tag[len(CATEGORY_TAG) :]), []).append(message)
        else:
            general.append(message)
    return general, per_category


def uploaded_text(n) -> str:
    """How many photos of one choice went in (the page's script says it too: _js_strings)."""
    return _("已上传 %(n)s 张。") % {"n": n}


def not_uploaded_text(n, most) -> str:
    """The photos of one choice left out because the category was full, and why."""
    return _("另有 %(n)s 张未上传：本项最多 %(max)s 张。") % {"n": n, "max": most}


def _js_strings() -> dict[str, object]:
    """What static/materials/page.js says, translated here (the script has no catalogue).
    Messages the server gives too come from the same function, with {placeholders}."""
    return {
        "heic": str(HEIC_MESSAGE),
        # The server's refusals, for the page to say before sending what the server refuses.
        "notAllowed": not_allowed_text(formats_label="{formats}", actual_label="{actual}"),
        "pdf": pdf_text(formats_label="{formats}"),
        "unrecognised": unrecognised_text(formats_label="{formats}"),
        "empty": empty_text(),
        "formatLabels": FORMAT_LABELS,
        "unreadable": _("无法读取该图片，请换一张 JPG 或 PNG 格式的照片。"),
        "tooBig": _("照片压缩后仍超过大小限制，请裁剪后再上传。"),
        "preparing": _("正在处理照片"),
        "uploading": _("正在上传"),
        "ofN": _("（第 {i} 张，共 {n} 张）"),
        "uploaded": uploaded_text("{n}"),
        "notUploaded": not_uploaded_text("{n}", "{max}"),
        "network": _("网络连接中断，上传未完成，请重试。"),
        "failed": _("操作未完成，请刷新页面后重试。"),
        "past": _("已截止"),
        "day": _("天"),
        "hour": _("小时"),
        "minute": _("分"),
        "second": _("秒"),
    }


@require_GET
@candidate_required(activated=False)
def material_page(request):
    candidate = request.candidate
    now = timezone.now()
    if not candidate.is_activated:
        return _before_activation(request, candidate, now)
    blocks = category_blocks(candidate, now=now)
    general, per_category = _split_messages(request)
    for block in blocks:
        for message in per_category.get(block.category.pk, []):
            (block.errors if message.level >= messages.WARNING else block.notices).append(
                str(message)
            )
    return render(
        request,
        "materials/page.html",
        {
            "candidate": candidate,
            "blocks": blocks,
            "panel": page_panel(candidate, blocks, now=now),
            "registration_changes": registration_changes_text(candidate),
            # Overrides the context processor: category messages are shown in place.
            "messages": general,
            "now": now,
            "js_strings": _js_strings(),
            "photo_rule": photo_rule(),
        },
    )


def _before_activation(request, candidate, now):
    """Where a candidate who has not activated lands (the entry sends everyone here): while
    the upload window is open, the four activation steps; when it is not, first the news that
    nothing can be uploaded now and whom to ask, so that nobody activates for nothing. They
    may still activate to see the page."""
    # Not activated: nothing of theirs can be uploaded yet, so nothing is locked either.
    window = upload_window_state(candidate, now, has_photos=False)
    if window.can_add:
        return redirect("accounts:activate")
    return render(
        request,
        "materials/window_closed.html",
        {
            "candidate": candidate,
            "reason": window.reason,
            "next_step": window_next_step(candidate, now),
        },
    )


def _fragment_response(
    request,
    candidate,
    category_id,
    *,
    errors=(),
    notices=(),
    status=200,
    categories=None,
    photos=None,
):
    """The category's section and the status panel, in one rendering. `categories` and
    `photos`: what the view has read already (materials.pagecontext.category_blocks)."""
    now = timezone.now()
    blocks = category_blocks(
        candidate, now=now, categories=categories, images=photos, shown=category_id
    )
    block = next((b for b in blocks if b.category.pk == category_id), None)
    if block is not None:
        block.errors.extend(errors)
        block.notices.extend(notices)
    response = render(
        request,
        "materials/_fragment.html",
        {"block": block, "panel": page_panel(candidate, blocks, now=now), "candidate": candidate},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _category_or_404(candidate, category_id: int) -> MaterialCategory:
    category = category_for_candidate(candidate, category_id)
    if category is None:
        raise Http404()
    return category


@require_POST
# The lock rule reads the province, the stored name the year; nothing here shows the rest of
# the registration.
@candidate_required(related=("province", "exam_year"))
def category_upload(request, category_id: int):
    candidate = request.candidate
    categories = categories_for_candidate(candidate)
    category = category_for_candidate(candidate, category_id, categories)
    if category is None:
        # Another province's category or one that does not apply: nothing is stored.
        message = _("该材料类别不适用于您，无法上传。")
        if _wants_fragment(request):
            return HttpResponse(message, status=404)
        messages.error(request, message)
        return redirect(_page_url())
    form = UploadForm(request.POST, request.FILES)
    errors: list[str] = []
    uploaded = 0
    # Files left out because the category filled up: counted, said once (not one error each).
    left_out, full_text = 0, ""
    photos = None  # the candidate's photos after the last upload that went through
    if not form.is_valid():
        errors.append(_("请选择要上传的照片。"))
    else:
        files = form.cleaned_data["photos"]
        for file in files:
            try:
                photos = image_upload(
                    candidate=candidate,
                    category=category,
                    file=file,
                    ip=client_ip(request),
                    categories=categories,
                ).photos
                uploaded += 1
            except ValidationError as exc:
                text = " ".join(exc.messages)
                if getattr(exc, "code", None) == "count":
                    left_out, full_text = left_out + 1, text
                    continue
                errors.append(
                    _("%(file)s：%(error)s") % {"file": file.name, "error": text}
                    if len(files) > 1
                    else text
                )
    notices = []
    if uploaded:
        notices.append(uploaded_text(uploaded))
        if left_out:
            notices.append(not_uploaded_text(left_out, category.max_count))
    elif left_out:
        errors.append(full_text)
    if _wants_fragment(request):
        return _fragment_response(
            request,
            candidate,
            category.pk,
            errors=errors,
            notices=notices,
            status=400 if errors and not uploaded else 200,
            categories=categories,
            photos=photos,
        )
    for text in errors:
        messages.error(request, text, extra_tags=f"{CATEGORY_TAG}{category.pk}")
    for text in notices:
        messages.success(request, text, extra_tags=f"{CATEGORY_TAG}{category.pk}")
    return redirect(_page_url(f"cat-{category.pk}"))


@require_GET
@candidate_required
def category_fragment(request, category_id: int):
    """The category's section again (the page polls it while photos are being processed)."""
    _category_or_404(request.candidate, category_id)
    return _fragment_response(request, request.candidate, category_id)


def _own_current_image(candidate, pk: int) -> MaterialImage:
    return get_object_or_404(
        MaterialImage.objects.select_related("category"),
        pk=pk,
        candidate=candidate,
        removed_at__isnull=True,
    )


@require_http_methods(["GET", "POST"])
@candidate_required
def photo_delete(request, pk: int):
    """GET: the confirmation page (no JavaScript). POST: delete."""
    candidate = request.candidate
    image = _own_current_image(candidate, pk)
    category_id = image.category_id
    if request.method == "GET":
        allowed, reason = image_can_delete(candidate=candidate, image=image)
        return render(
            request,
            "materials/delete_confirm.html",
            {"image": image, "allowed": allowed, "reason": reason, "candidate": candidate},
        )
    try:
        image_delete(candidate=candidate, image=image, ip=client_ip(request))
    except ValidationError as exc:
        text = " ".join(exc.messages)
        if _wants_fragment(request):
            return _fragment_response(request, candidate, category_id, errors=[text], status=409)
        messages.error(request, text, extra_tags=f"{CATEGORY_TAG}{category_id}")
        return redirect(_page_url(f"cat-{category_id}"))
    if _wants_fragment(request):
        return _fragment_response(request, candidate, category_id, notices=[_("已删除。")])
    messages.success(request, _("已删除。"), extra_tags=f"{CATEGORY_TAG}{category_id}")
    return redirect(_page_url(f"cat-{category_id}"))


# --- files --------------------------------------------------------------------------------


def _serve(
    name: str, *, content_type: str, filename: str, attachment: bool = False, private: bool = True
) -> HttpResponse:
    """One stored file leaves the server: streamed by Django, handed to nginx
    (X-Accel-Redirect), or as a short-lived signed URL of the object storage."""
    disposition = "attachment" if attachment else "inline"
    ascii_name = filename.encode("ascii", "ignore").decode() or "file"
    content_disposition = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    cache_control = "private, no-store" if private else "public, max-age=86400"
    if settings.YISHEN_STORAGE == "s3" or _is_s3(default_storage):
        url = default_storage.url(
            name,
            parameters={
                "ResponseContentDisposition": content_disposition,
                "ResponseContentType": content_type,
                "ResponseCacheControl": cache_control,
            },
        )
        response = HttpResponseRedirect(url)
    elif settings.YISHEN_SERVE_MODE == "x-accel":
        response = HttpResponse(content_type=content_type)
        prefix = settings.YISHEN_X_ACCEL_PREFIX.rstrip("/")
        response["X-Accel-Redirect"] = f"{prefix}/{quote(name)}"
    else:
        try:
            handle = default_storage.open(name, "rb")
        except FileNotFoundError:
            raise Http404() from None
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _is_s3(storage) -> bool:
    from storages.backends.s3 import S3Storage  # loads boto3: only once a photo is served

    target = getattr(storage, "_wrapped", storage)
    return isinstance(target, S3Storage)


@require_GET
def image_file(request, pk: int, variant: str):
    """A photo for whoever may see it: the candidate who owns it (display and thumbnail of
    current photos), or staff whose scope covers the candidate (any variant, the original
    included, also removed photos). Everyone else gets 404, as if it did not exist."""
    if variant not in VARIANTS:
        raise Http404()
    image = get_object_or_404(MaterialImage.objects.select_related("candidate"), pk=pk)
    candidate = current_candidate(request)
    own = (
        candidate is not None
        and candidate.pk == image.candidate_id
        and variant != "original"
        and image.removed_at is None
    )
    staff = not own and staff_can_see_candidate(request.user, image.candidate)
    if not (own or staff):
        raise Http404()
    field = {"display": image.display, "thumb": image.thumbnail, "original": image.original}[
        variant
    ]
    if not field:
        raise Http404()
    if staff and variant in AUDITED_VARIANTS:
        image_viewed.send(
            sender=MaterialImage,
            image=image,
            variant=variant,
            user=request.user,
            ip=client_ip(request),
            ahead=request.GET.get("ahead", "")[:200],
        )
    if variant == "original":
        content_type = {"jpeg": "image/jpeg", "png": "image/png"}.get(
            image.image_format, "application/octet-stream"
        )
        extension = {"jpeg": "jpg"}.get(image.image_format, image.image_format or "bin")
    else:
        content_type, extension = "image/jpeg", "jpg"
    return _serve(
        field.name,
        content_type=content_type,
        filename=f"yishen-{image.pk}-{variant}.{extension}",
    )


def _public_category(category_id: int) -> MaterialCategory:
    return get_object_or_404(MaterialCategory, pk=category_id, is_active=True)


@require_GET
def example_image(request, category_id: int):
    """A category's example picture (not personal data: anyone may see it)."""
    category = _public_category(category_id)
    if not category.example_image:
        raise Http404()
    name = category.example_image.name
    content_type = mimetypes.guess_type(name)[0] or "image/png"
    return _serve(
        name,
        content_type=content_type,
        filename=f"example-{category.pk}{_ext(name)}",
        private=False,
    )


@require_GET
def example_page(request, category_id: int):
    """示例 without JavaScript: the example at full size with the instructions."""
    category = _public_category(category_id)
    if not category.example_image:
        raise Http404()
    return render(request, "materials/example.html", {"category": category})


@require_GET
def attachment(request, category_id: int):
    """附件: the form to download, fill in and photograph."""
    category = _public_category(category_id)
    if not category.attachment:
        raise Http404()
    name = category.attachment.name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    title = category.localized_attachment_name
    return _serve(
        name,
        content_type=content_type,
        filename=f"{title}{_ext(name)}",
        attachment=True,
        private=False,
    )


def _ext(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot != -1 else ""


# --- the candidates' help page (常见问题) ----------------------------------------------------

# What each review state means to the candidate and what to do in it; the names shown are
# the enums' own labels, so the page says what the status panel says.
CANDIDATE_STATE_HELP = {
    CandidateStatus.DRAFT: gettext_lazy(
        "材料尚未提交。审核人员审核之前，您可以随时上传、删除或更换图片。"
        "需要点击「提交审核」的考区，材料齐全后请点击该按钮；自动保存的考区，"
        "必传材料上传齐全后自动进入审核。"
    ),
    CandidateStatus.SUBMITTED: gettext_lazy(
        "材料已进入审核，等待考点审核。需要点击提交的考区，提交后图片即锁定；"
        "自动保存的考区，审核人员审核之前未锁定的图片仍可修改。"
    ),
    CandidateStatus.RETURNED: gettext_lazy(
        "审核人员退回了部分材料。请在材料页面最上方查看审核意见，按意见更换标有「退回」的图片，"
        "然后点击「重新提交」。请在短信和页面所示的时限内完成。"
    ),
    CandidateStatus.SITE_PASSED: gettext_lazy("考点已审核通过，等待考区审核，无需操作。"),
    CandidateStatus.APPROVED: gettext_lazy(
        "考区审核通过，报名材料审核已完成，无需再进行任何操作。"
    ),
    CandidateStatus.REJECTED: gettext_lazy(
        "审核未通过，原因见材料页面上方的「最终审核结果」。如有疑问，请联系您报考的考点。"
    ),
}

# What each photo's mark means.
IMAGE_STATE_HELP = {
    ImageStatus.PENDING: gettext_lazy("图片已上传，尚未审核。图片未锁定时，您可以删除后重新上传。"),
    ImageStatus.APPROVED: gettext_lazy("审核人员已确认这张图片，图片已锁定，无法再修改。"),
    ImageStatus.RETURNED: gettext_lazy(
        "这张图片不符合要求，退回原因写在图片下方。上传新图片会替换它，也可以先删除再上传。"
    ),
}


@require_GET
def help_page(request):
    """常见问题: open to everyone, before and after entry (the entry and error pages link
    here); it shows no personal data."""
    return render(
        request,
        "materials/help.html",
        {
            "candidate": current_candidate(request),
            "candidate_states": [
                (status.label, CANDIDATE_STATE_HELP[status]) for status in CandidateStatus
            ],
            "image_states": [(status.label, IMAGE_STATE_HELP[status]) for status in ImageStatus],
            "max_kb": DEFAULT_MAX_BYTES // 1024,
        },
    )
