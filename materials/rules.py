"""The ONE lock rule: may this candidate add to or delete from a category now?

Everything that changes a candidate's photos (the upload and delete services, the page that
mirrors them, the review app) asks these two functions and nothing else. The inputs are the
province's upload window, the candidate's review state, the photo's review state and the
reply deadline of a return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.enums import CandidateStatus, SubmitMode
from accounts.models import Candidate

from .enums import ImageStatus
from .models import MaterialCategory, MaterialImage

# What the rule reads of the candidate's row that other requests change (its province and
# exam year do not): the services that change photos read these again under the row lock.
CANDIDATE_STATE_FIELDS = ("status", "returned_categories", "reply_deadline")


@dataclass(frozen=True)
class EditState:
    can_add: bool
    can_delete: bool
    reason: str = ""  # why not (Chinese); empty when allowed
    locked: bool = False
    # The moment the current permission ends (window close or reply deadline), for the page.
    until: datetime | None = None


def _when(value: datetime) -> str:
    # Translators: a date and time in Django's date format letters (Y year, n month, j day).
    return date_format(timezone.localtime(value), _("Y年n月j日 H:i"))


def _locked(reason: str) -> EditState:
    return EditState(can_add=False, can_delete=False, reason=reason, locked=True)


def _open(until: datetime | None) -> EditState:
    return EditState(can_add=True, can_delete=True, reason="", locked=False, until=until)


def upload_window_state(
    candidate: Candidate, now: datetime, *, has_photos: bool = True
) -> EditState:
    """The province's upload window alone (opens_at <= now < closes_at; a null bound is open).
    `has_photos=False` (nothing uploaded, or not even activated): the closed window's reason
    does not speak of locked content, as there is none."""
    province = candidate.province
    if province.opens_at is not None and now < province.opens_at:
        return _locked(
            _("上传时间自 %(opens)s 开始，尚未开放上传。") % {"opens": _when(province.opens_at)}
        )
    if province.closes_at is not None and now >= province.closes_at:
        closes = {"closes": _when(province.closes_at)}
        if not has_photos:
            return _locked(_("上传时间已于 %(closes)s 截止。") % closes)
        return _locked(_("上传时间已于 %(closes)s 截止，内容已锁定。") % closes)
    return _open(province.closes_at)


def category_edit_state(
    *, candidate: Candidate, category: MaterialCategory, now: datetime | None = None
) -> EditState:
    now = now or timezone.now()
    if (
        category.province_id != candidate.province_id
        or category.exam_year_id != candidate.exam_year_id
    ):
        return _locked(_("该材料类别不属于您的考区。"))
    status = candidate.status
    if status == CandidateStatus.APPROVED:
        return _locked(_("审核已通过，内容已锁定。"))
    if status == CandidateStatus.REJECTED:
        return _locked(_("审核未通过，内容已锁定。"))
    if status == CandidateStatus.SITE_PASSED:
        return _locked(_("考点已审核通过，正在考区审核，内容已锁定。"))
    if status == CandidateStatus.RETURNED:
        if category.pk not in (candidate.returned_categories or []):
            return _locked(_("该类材料未被退回，已锁定。"))
        if candidate.reply_deadline is not None and now >= candidate.reply_deadline:
            return _locked(
                _("修改期限已于 %(deadline)s 截止，内容已锁定。")
                % {"deadline": _when(candidate.reply_deadline)}
            )
        return _open(candidate.reply_deadline)
    if status == CandidateStatus.SUBMITTED:
        if candidate.province.submit_mode != SubmitMode.AUTO_SAVE:
            return _locked(_("已提交审核，内容已锁定。"))
        # Auto-save provinces: photos stay editable until a reviewer decides on them.
        return upload_window_state(candidate, now)
    if status == CandidateStatus.DRAFT:
        return upload_window_state(candidate, now)
    return _locked(_("内容已锁定。"))


def image_can_delete(
    *, candidate: Candidate, image: MaterialImage, now: datetime | None = None
) -> tuple[bool, str]:
    if image.candidate_id != candidate.pk or image.removed_at is not None:
        return False, _("图片不存在或已删除。")
    if image.status == ImageStatus.APPROVED:
        return False, _("该图片已审核通过，已锁定。")
    state = category_edit_state(candidate=candidate, category=image.category, now=now)
    if not state.can_delete:
        return False, state.reason
    return True, ""
