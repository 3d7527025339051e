from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import NotificationPurpose, NotificationStatus


class Notification(models.Model):
    """One row per message. `event_key` is unique: the same event never makes two messages."""

    # By name: notifications imports none of the apps that use it.
    candidate = models.ForeignKey(
        "accounts.Candidate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("考生"),
    )
    recipient = models.CharField(_("接收号码"), max_length=20)
    text = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=16, choices=NotificationPurpose.choices)
    event_key = models.CharField(_("事件标识"), max_length=100, unique=True, null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=NotificationStatus.choices,
        default=NotificationStatus.READY,
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # When a READY message is due: now for a new one, later after a transient error. The
    # sweep sends a READY message again when it is overdue (its task was lost).
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    provider_id = models.CharField(_("服务商消息编号"), max_length=100, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="notification_status")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.recipient}"
