"""The standard return reasons every province starts with (national rows, province=None).
Operators add their own per province in the admin.

Marked with gettext_noop: the rows keep the Chinese text (it is what the candidate's feedback
records), and the workbench shows them through the catalogue (ReturnReason.label)."""

from django.utils.translation import gettext_noop

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
