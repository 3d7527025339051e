from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationStatus(models.TextChoices):
    READY = "ready", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    # The provider was called but no answer was recorded (the worker died mid-send, or the
    # provider did not answer in time): the message may or may not have been delivered.
    # Never re-sent without an operator; a delivery receipt that names it settles it.
    UNKNOWN = "unknown", _("结果未知")
    # From the provider's delivery receipt (回执).
    DELIVERED = "delivered", _("已送达")
    UNDELIVERED = "undelivered", _("未送达")


# Handed to the provider (or possibly so): what the per-phone limits count.
HANDED_STATUSES = (
    NotificationStatus.SENDING,
    NotificationStatus.SENT,
    NotificationStatus.UNKNOWN,
    NotificationStatus.DELIVERED,
    NotificationStatus.UNDELIVERED,
)


class NotificationPurpose(models.TextChoices):
    VERIFICATION_CODE = "code", _("手机验证码")
    RETURN = "return", _("退回通知")
    RESULT = "result", _("审核结果")
    # Both reminders: of a reply deadline after a return, and of the upload window's close.
    REMINDER = "reminder", _("提醒")
    STAFF_INVITE = "staff_invite", _("审核账号开通")


class SmsKind(models.TextChoices):
    """The kinds of SMS, each with its own text and, at a provider, its own template (a
    result is approved or rejected: two texts, two templates, one purpose)."""

    CODE = "code", _("手机验证码")
    RETURN = "return", _("退回通知")
    APPROVED = "approved", _("审核通过")
    REJECTED = "rejected", _("审核拒绝")
    REMINDER = "reminder", _("修改截止提醒")
    # Before the province's upload window closes, to a candidate who has not submitted
    # (including one from a roster who never entered).
    WINDOW_REMINDER = "window_reminder", _("上传截止提醒")
    # To a new reviewer account (not a candidate): its one-time link.
    STAFF_INVITE = "staff_invite", _("审核账号开通")


# What each kind of message provides to a provider template: the parameters a mapping
# (models.SmsTemplate) may use. Filled in by sms.sms_send.
SMS_KIND_PARAMS: dict[str, tuple[str, ...]] = {
    SmsKind.CODE: ("code",),
    SmsKind.RETURN: ("name", "reg_no", "year", "hours", "deadline"),
    SmsKind.APPROVED: ("name", "reg_no", "year"),
    SmsKind.REJECTED: ("name", "reg_no", "year"),
    SmsKind.REMINDER: ("name", "reg_no", "year", "hours", "deadline"),
    SmsKind.WINDOW_REMINDER: ("name", "reg_no", "year", "deadline"),
    SmsKind.STAFF_INVITE: ("name", "username", "hours", "link"),
}

SMS_PARAM_LABELS = {
    "code": _("验证码"),
    "name": _("姓名"),
    "reg_no": _("报名号"),
    "year": _("考试年度"),
    "hours": _("修改时限（小时）"),
    "deadline": _("截止时间"),
    "username": _("用户名"),
    "link": _("开通链接"),
}
# Where one parameter means something else in one kind of message: the staff invite's hours
# are how long its link is valid (72), not a reply deadline.
SMS_KIND_PARAM_LABELS = {(SmsKind.STAFF_INVITE, "hours"): _("链接有效期（小时）")}


def sms_param_label(kind: str, name: str) -> str:
    """How the admin describes parameter `name` of a `kind` message."""
    return str(SMS_KIND_PARAM_LABELS.get((kind, name), SMS_PARAM_LABELS[name]))
