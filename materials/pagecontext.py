"""What the candidate's material page shows, computed in a fixed number of queries
(categories, photos; feedback and the rest are the caller's) whatever the number of photos."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus, SubmitMode
from accounts.models import Candidate
from accounts.selectors import submitted_message

from .enums import DEFAULT_FORMATS, ImageStatus, ProcessingState
from .models import PHOTO_ORDER, MaterialCategory, MaterialImage
from .precheck.selectors import quality_advice
from .rules import EditState, category_edit_state, image_can_delete, upload_window_state
from .selectors import categories_for_candidate, current_images
from .validation import format_list, human_size


@dataclass
class PhotoView:
    image: MaterialImage
    number: int
    can_delete: bool
    locked: bool
    approved: bool
    returned: bool
    processing: bool
    failed: bool
    # Processed, its machine pre-check still due: the advice below may still come.
    prechecking: bool
    # Quality advice of the machine pre-check (照片可能模糊…): shown, never blocking.
    advice: list[str] = field(default_factory=list)


@dataclass
class CategoryBlock:
    category: MaterialCategory
    state: EditState
    photos: list[PhotoView]
    # The lock rule's places, as validate_upload counts them: a photo marked 退回 takes none,
    # since the next upload replaces it (and the category cannot be resubmitted while it is
    # there). `free` is what an upload will accept, `returned_count` how many of those
    # uploads replace a returned photo; the page says both, beside the returned photos.
    count: int  # photos that take a place (not RETURNED)
    free: int
    can_upload: bool
    short_by: int  # required photos still missing
    # A photo is still being processed or pre-checked: the page polls the section until
    # both are done, so the thumbnail and then the quality advice appear without a reload.
    processing: bool
    returned: bool = False  # unlocked by the current return: the candidate must act here
    returned_count: int = 0  # photos marked 退回 still shown, not counted in `count`
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"cat-{self.category.pk}"

    @property
    def thumbs_pending(self) -> bool:
        """A photo has no thumbnail yet (the watermark is still being stamped)."""
        return any(p.processing for p in self.photos)

    @property
    def formats(self) -> list[str]:
        """What the server accepts here (validation.inspect_image_bytes: the same default)."""
        return list(self.category.formats or DEFAULT_FORMATS)

    @property
    def accept(self) -> str:
        """The file chooser offers what the server accepts, nothing the page would refuse."""
        types = {
            "jpeg": "image/jpeg",
            "png": "image/png",
            "gif": "image/gif",
            "webp": "image/webp",
            "bmp": "image/bmp",
            "tiff": "image/tiff",
        }
        return ",".join(types[f] for f in self.formats if f in types)

    @property
    def formats_label(self) -> str:
        return format_list(self.formats)

    @property
    def max_size_label(self) -> str:
        return human_size(self.category.max_bytes)


def _photo_views(
    candidate: Candidate, images: list[MaterialImage], now: datetime, advice: dict[int, list[str]]
) -> list[PhotoView]:
    views = []
    for number, image in enumerate(images, start=1):
        can_delete, _reason = image_can_delete(candidate=candidate, image=image, now=now)
        views.append(
            PhotoView(
                image=image,
                number=number,
                can_delete=can_delete,
                locked=not can_delete,
                approved=image.status == ImageStatus.APPROVED,
                returned=image.status == ImageStatus.RETURNED,
                processing=image.processing == ProcessingState.PROCESSING,
                failed=image.processing == ProcessingState.FAILED,
                prechecking=image.processing == ProcessingState.READY
                and image.precheck_due_at is not None,
                # A reviewer's decision supersedes the machine's guess: advice under an
                # approved photo only invites a needless reshoot.
                advice=[] if image.status != ImageStatus.PENDING else advice.get(image.pk, []),
            )
        )
    return views


def category_blocks(
    candidate: Candidate,
    *,
    now: datetime | None = None,
    categories: list[MaterialCategory] | None = None,
    images: list[MaterialImage] | None = None,
    shown: int | None = None,
) -> list[CategoryBlock]:
    """The page's sections. `categories` (the candidate's) and `images` (the candidate's
    current photos in page order) when the caller has read them already. `shown`: the one
    category the caller shows (a fragment); the other blocks only feed the status panel, so
    the quality advice of their photos is not read."""
    now = now or timezone.now()
    if categories is None:
        categories = categories_for_candidate(candidate)
    if images is None:
        images = list(current_images(candidate).order_by(*PHOTO_ORDER))
    by_category: dict[int, list[MaterialImage]] = {c.pk: [] for c in categories}
    for image in images:
        if image.category_id in by_category:
            by_category[image.category_id].append(image)
    advice = quality_advice(
        [
            image
            for category_id, in_category in by_category.items()
            if shown is None or category_id == shown
            for image in in_category
        ]
    )
    blocks = []
    for category in categories:
        # The lock rule reads the category off the image: give it the one we have.
        for image in by_category[category.pk]:
            image.category = category
        state = category_edit_state(candidate=candidate, category=category, now=now)
        photos = _photo_views(candidate, by_category[category.pk], now, advice)
        returned_count = sum(1 for p in photos if p.returned)
        count = len(photos) - returned_count
        free = max(0, category.max_count - count)
        countable = sum(1 for p in photos if not p.returned and not p.failed)
        short_by = max(0, max(category.min_count, 1) - countable) if category.required else 0
        blocks.append(
            CategoryBlock(
                category=category,
                state=state,
                photos=photos,
                count=count,
                free=free,
                can_upload=state.can_add and free > 0,
                short_by=short_by,
                processing=any(p.processing or p.prechecking for p in photos),
                returned=candidate.status == CandidateStatus.RETURNED
                and category.pk in (candidate.returned_categories or [])
                and not state.locked,
                returned_count=returned_count,
            )
        )
    return blocks


@dataclass
class LockItem:
    """A category and its photos that 提交审核 / 重新提交 will lock."""

    category: MaterialCategory
    photos: list[PhotoView]

    @property
    def count(self) -> int:
        return len(self.photos)


@dataclass
class SubmitSummary:
    """What the confirmation before 提交审核 / 重新提交 lists: what will be locked, and what
    stops the step (it mirrors review's refusals; the server decides)."""

    resubmit: bool
    locking: list[LockItem]
    missing: list[MaterialCategory]  # required categories short of their minimum
    still_returned: list[MaterialCategory]  # resubmit: a photo marked 退回 is still there

    @property
    def can_confirm(self) -> bool:
        if self.missing or self.still_returned:
            return False
        return self.resubmit or bool(self.locking)


def submit_summary(blocks: list[CategoryBlock], *, resubmit: bool) -> SubmitSummary:
    """Submitting locks every photo on the page; resubmitting locks again the categories the
    return unlocked (the others stayed locked), with the photos that replace the returned."""
    locking, still_returned = [], []
    for block in blocks:
        if resubmit and not block.returned:
            continue
        photos = [p for p in block.photos if not p.returned]
        if photos:
            locking.append(LockItem(category=block.category, photos=photos))
        if resubmit and any(p.returned for p in block.photos):
            still_returned.append(block.category)
    missing = [b.category for b in blocks if b.short_by and not b.state.locked]
    return SubmitSummary(
        resubmit=resubmit, locking=locking, missing=missing, still_returned=still_returned
    )


@dataclass
class PagePanel:
    status: str
    status_label: str
    explicit: bool
    window: EditState
    deadline: datetime | None
    deadline_label: str
    opens_at: datetime | None
    can_submit: bool
    can_resubmit: bool
    autosave_note: bool
    missing: list[MaterialCategory]
    submitted_message: str
    # The reason several sections are closed for (已提交审核，内容已锁定。): said once, in the
    # panel when nothing there says it already, and not under each of them.
    shared_lock_reason: str = ""
    show_lock_reason: bool = False
    # The deadline shown has passed: the page says 已截止, never a countdown of 0.
    deadline_past: bool = False
    # Nothing can be uploaded or changed any more (the window is not open for a candidate who
    # has not submitted, or a return's reply deadline has passed): what happened, and what to
    # do next (contact the test site, named).
    closed_notice: str = ""
    next_step: str = ""
    # What the confirmation of 提交审核 / 重新提交 lists, when either can be taken.
    summary: SubmitSummary | None = None
    # A photo can still be added somewhere (the page offers to continue on the phone).
    can_upload: bool = False


def _shared_lock_reason(blocks: list[CategoryBlock]) -> str:
    reasons = Counter(b.state.reason for b in blocks if b.state.locked and b.state.reason)
    if not reasons:
        return ""
    reason, count = reasons.most_common(1)[0]
    return reason if count > 1 or len(blocks) == 1 else ""


def page_panel(candidate: Candidate, blocks: list[CategoryBlock], *, now=None) -> PagePanel:
    now = now or timezone.now()
    province = candidate.province
    explicit = province.submit_mode != SubmitMode.AUTO_SAVE
    window = upload_window_state(candidate, now, has_photos=any(b.photos for b in blocks))
    status = candidate.status
    # Only what the candidate can still do something about: a locked category that is short
    # (e.g. not returned during a return) is the reviewers' business.
    missing = [b.category for b in blocks if b.short_by and not b.state.locked]
    deadline, deadline_label = None, ""
    opens_at = province.opens_at if province.opens_at and now < province.opens_at else None
    if status == CandidateStatus.RETURNED and candidate.reply_deadline:
        deadline, deadline_label = candidate.reply_deadline, _("修改截止时间")
    elif province.closes_at and (
        status == CandidateStatus.DRAFT or (status == CandidateStatus.SUBMITTED and not explicit)
    ):
        deadline, deadline_label = province.closes_at, _("上传截止时间")
    submitted = ""
    if status not in (CandidateStatus.DRAFT, CandidateStatus.RETURNED) and candidate.submitted_at:
        submitted = submitted_message(candidate)
    reply_open = candidate.reply_deadline is None or now < candidate.reply_deadline
    shared = _shared_lock_reason(blocks)
    closed_notice, next_step = _closed_notice(candidate, window, reply_open, now)
    can_submit = explicit and status == CandidateStatus.DRAFT and window.can_add
    can_resubmit = status == CandidateStatus.RETURNED and reply_open
    summary = None
    if can_submit or can_resubmit:
        summary = submit_summary(blocks, resubmit=can_resubmit)
    return PagePanel(
        status=status,
        status_label=CandidateStatus(status).label,
        explicit=explicit,
        window=window,
        deadline=deadline,
        deadline_label=deadline_label,
        opens_at=opens_at,
        can_submit=can_submit,
        can_resubmit=can_resubmit,
        autosave_note=not explicit and status == CandidateStatus.DRAFT,
        missing=missing,
        submitted_message=submitted,
        shared_lock_reason=shared,
        # A submitted message says 内容已锁定 already (but for an auto-save province's
        # candidate in review); a return says 未退回的材料已锁定.
        show_lock_reason=bool(shared)
        and not closed_notice
        and status != CandidateStatus.RETURNED
        and (not submitted or (not explicit and status == CandidateStatus.SUBMITTED)),
        deadline_past=deadline is not None and now >= deadline,
        closed_notice=closed_notice,
        next_step=next_step,
        summary=summary,
        can_upload=any(b.can_upload for b in blocks),
    )


def window_next_step(candidate: Candidate, now: datetime) -> str:
    """What a candidate who has not submitted can do while the upload window is not open:
    come back when it opens, or (closed) ask their test site."""
    site = candidate.site.name
    province = candidate.province
    if province.opens_at is not None and now < province.opens_at:
        return _("请在上传开始后再来上传材料。如有疑问，请联系您报考的考点：%(site)s。") % {
            "site": site
        }
    return _("现在已无法上传或修改材料。如需补交材料或有疑问，请联系您报考的考点：%(site)s。") % {
        "site": site
    }


def _closed_notice(
    candidate: Candidate, window: EditState, reply_open: bool, now: datetime
) -> tuple[str, str]:
    status = candidate.status
    if status == CandidateStatus.DRAFT and window.locked:
        return window.reason, window_next_step(candidate, now)
    if status == CandidateStatus.RETURNED and not reply_open:
        return (
            _("修改期限已过，无法再更换图片或重新提交。"),
            _("请联系您报考的考点：%(site)s，询问下一步安排。") % {"site": candidate.site.name},
        )
    return "", ""
