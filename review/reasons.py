"""The standard return reasons every province starts with (national rows, province=None).
Operators add their own per province in the admin.

Marked with gettext_noop: the rows keep the Chinese text (it is what the candidate's feedback
records), and the workbench shows them through the catalogue (ReturnReason.label)."""

from django.utils.translation import gettext, gettext_noop

STANDARD_RETURN_REASONS = (
    gettext_noop("图片不清晰"),
    gettext_noop("图片不完整或被裁切"),
    gettext_noop("证件已过期"),
    gettext_noop("材料类型不符"),
    gettext_noop("缺少反面"),
    gettext_noop("信息与报名信息不一致"),
    gettext_noop("印章不符合要求"),
    gettext_noop("缺少首次注册证明"),
)


def reason_label(text: str) -> str:
    """A recorded return reason in the reader's language. A photo's reason is stored as the
    standard reason's Chinese text, or that text, 「：」 and the reviewer's words, or the words
    alone (review.services.images._compose_reason): the standard part goes through the
    catalogue, what a reviewer typed (or a province's own reason) shows as written."""
    standard, colon, words = (text or "").partition("：")
    if standard not in STANDARD_RETURN_REASONS:
        return text
    if not colon:
        return gettext(standard)
    return f"{gettext(standard)}{gettext('：')}{words}"
