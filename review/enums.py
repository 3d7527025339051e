from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    CANDIDATE = "candidate", _("考生")
    STAFF = "staff", _("审核人员")
    SYSTEM = "system", _("系统")


class EventAction(models.TextChoices):
    SUBMIT = "submit", _("提交审核")
    AUTO_SUBMIT = "auto_submit", _("自动提交")
    DEADLINE_SUBMIT = "deadline_submit", _("截止自动锁定")
    RESUBMIT = "resubmit", _("重新提交")
    IMAGE_APPROVE = "image_approve", _("图片通过")
    IMAGE_RETURN = "image_return", _("图片退回")
    IMAGE_UPLOAD = "image_upload", _("上传图片")
    IMAGE_DELETE = "image_delete", _("删除图片")
    SITE_PASS = "site_pass", _("考点通过")
    SITE_RETURN = "site_return", _("考点退回考生")
    PROVINCE_APPROVE = "province_approve", _("考区审核通过")
    PROVINCE_RETURN = "province_return", _("考区退回考生")
    PROVINCE_RETURN_TO_SITE = "province_return_to_site", _("考区退回考点")
    REJECT = "reject", _("审核拒绝")
    NOTE = "note", _("内部备注")
    CLAIM = "claim", _("领取")
    STAFF_2FA_RESET = "staff_2fa_reset", _("重置双因素认证")
    CANDIDATE_VIEW = "candidate_view", _("查看考生")
    IMAGE_VIEW = "image_view", _("查看图片")
    TRAIL_EXPORT = "trail_export", _("导出审核记录")


# Staff looking at a candidate (the workbench's history leaves them out; the admin's audit
# list and the export for an inspector show them).
VIEW_ACTIONS = (EventAction.CANDIDATE_VIEW, EventAction.IMAGE_VIEW)
