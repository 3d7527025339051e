from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ActorKind(models.TextChoices):
    CANDIDATE = "candidate", _("考生")
    STAFF = "staff", _("审核人员")
    SYSTEM = "system", _("系统")


class EventAction(models.TextChoices):
    # Things that happened (the history and the audit trail), not the buttons that do them.
    SUBMIT = "submit", pgettext_lazy("review event", "提交审核")
    AUTO_SUBMIT = "auto_submit", pgettext_lazy("review event", "自动提交")
    DEADLINE_SUBMIT = "deadline_submit", pgettext_lazy("review event", "截止自动锁定")
    RESUBMIT = "resubmit", pgettext_lazy("review event", "重新提交")
    IMAGE_APPROVE = "image_approve", pgettext_lazy("review event", "图片通过")
    IMAGE_RETURN = "image_return", pgettext_lazy("review event", "图片退回")
    IMAGE_UPLOAD = "image_upload", pgettext_lazy("review event", "上传图片")
    IMAGE_DELETE = "image_delete", pgettext_lazy("review event", "删除图片")
    SITE_PASS = "site_pass", pgettext_lazy("review event", "考点通过")
    SITE_RETURN = "site_return", pgettext_lazy("review event", "考点退回考生")
    PROVINCE_APPROVE = "province_approve", pgettext_lazy("review event", "考区审核通过")
    PROVINCE_RETURN = "province_return", pgettext_lazy("review event", "考区退回考生")
    PROVINCE_RETURN_TO_SITE = (
        "province_return_to_site",
        pgettext_lazy("review event", "考区退回考点"),
    )
    REJECT = "reject", pgettext_lazy("review event", "审核拒绝")
    NOTE = "note", pgettext_lazy("review event", "内部备注")
    CLAIM = "claim", pgettext_lazy("review event", "领取")
    STAFF_2FA_RESET = "staff_2fa_reset", pgettext_lazy("review event", "重置双因素认证")
    CANDIDATE_VIEW = "candidate_view", pgettext_lazy("review event", "查看考生")
    IMAGE_VIEW = "image_view", pgettext_lazy("review event", "查看图片")
    TRAIL_EXPORT = "trail_export", pgettext_lazy("review event", "导出审核记录")


# Staff looking at a candidate (the workbench's history leaves them out; the admin's audit
# list and the export for an inspector show them).
VIEW_ACTIONS = (EventAction.CANDIDATE_VIEW, EventAction.IMAGE_VIEW)
