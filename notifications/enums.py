from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationStatus(models.TextChoices):
    READY = "ready", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    # The provider was called but no answer was recorded (the worker died mid-send): the
    # message may or may not have been delivered. Never re-sent without an operator.
    UNKNOWN = "unknown", _("结果未知")


class NotificationPurpose(models.TextChoices):
    VERIFICATION_CODE = "code", _("手机验证码")
    RETURN = "return", _("退回通知")
    RESULT = "result", _("审核结果")
    REMINDER = "reminder", _("修改截止提醒")
