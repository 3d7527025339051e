import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .enums import (
    SMS_KIND_PARAMS,
    NotificationPurpose,
    NotificationStatus,
    SmsKind,
    sms_param_label,
)


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
    # The text as the recipient reads it, kept for the log and the candidate's page; a
    # provider that sends only approved templates gets `kind`'s template and `params`.
    text = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=16, choices=NotificationPurpose.choices)
    kind = models.CharField(_("短信类型"), max_length=16, choices=SmsKind.choices, blank=True)
    # The province (考区代码) whose templates apply; a code, not a key: notifications
    # imports none of the apps that own Province.
    province_code = models.CharField(_("考区代码"), max_length=2, blank=True)
    # The values this message provides to a template (SMS_KIND_PARAMS[kind]), as text in
    # the message's language.
    params = models.JSONField(_("模板参数"), default=dict, blank=True)
    # The same values written in Chinese (the default language), for a message in another
    # language: when its province has no template in that language, the Chinese template goes
    # with these, so that the SMS reads wholly in Chinese (a date too). Empty for a message
    # in Chinese.
    fallback_params = models.JSONField(_("中文模板参数"), default=dict, blank=True)
    # The language the message is written in (the candidate's for their messages, the
    # page's for a verification code): the provider template of that language is sent, or
    # the province's Chinese one when it has none (template_language says which went).
    language = models.CharField(
        _("语言"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    template_code = models.CharField(_("模板编号"), max_length=50, blank=True)
    template_language = models.CharField(
        _("模板语言"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    event_key = models.CharField(_("事件标识"), max_length=100, unique=True, null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=NotificationStatus.choices,
        default=NotificationStatus.READY,
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # When a READY message is due: now for a new one, later after a transient error or
    # when the recipient's per-phone limit is reached. The sweep sends a READY message
    # again when it is overdue (its task was lost).
    next_attempt_at = models.DateTimeField(_("下次发送时间"), default=timezone.now)
    # A reminder's: its province's quiet hours (Beijing time) and the deadline it reminds
    # of, set by the reminder sender. A send that would fall in the quiet hours (a retry, a
    # wait for the per-phone limit) waits for their end; after the deadline, or when the
    # quiet hours end only after it, the reminder is given up (sending.reminder_wait).
    # Empty for other messages. The row carries them: notifications imports no Province.
    quiet_start = models.TimeField(_("免打扰开始时间"), null=True, blank=True)
    quiet_end = models.TimeField(_("免打扰结束时间"), null=True, blank=True)
    send_before = models.DateTimeField(_("最晚发送时间"), null=True, blank=True)
    provider_id = models.CharField(_("服务商消息编号"), max_length=100, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # When it was handed to the provider (set at the claim; cleared when the provider
    # refused it): what the per-phone limits count.
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达回执时间"), null=True, blank=True)
    receipt_checked_at = models.DateTimeField(_("最近查询回执时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = pgettext_lazy("plural", "通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="notification_status"),
            models.Index(fields=["recipient", "sent_at"], name="notification_recipient_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.recipient}"


_PARAM_ENTRY = re.compile(r"^(?:(?P<var>[A-Za-z_]\w{0,29})=)?(?P<field>\w+)$", re.ASCII)


def template_params_parse(value: str) -> list[tuple[str, str]]:
    """`params` of a mapping as (template variable, message field) pairs, in order. An
    entry is `field` or `variable=field`; entries are separated by commas. Raises
    ValidationError naming the first bad entry."""
    pairs: list[tuple[str, str]] = []
    for raw in re.split(r"[,，\s]+", value.strip()):
        if not raw:
            continue
        match = _PARAM_ENTRY.match(raw)
        if match is None:
            raise ValidationError(
                _("参数“%(entry)s”格式不对：应为“字段”或“模板变量=字段”。"),
                params={"entry": raw},
            )
        pairs.append((match["var"] or match["field"], match["field"]))
    return pairs


class SmsTemplate(models.Model):
    """A province's provider template for one kind of message: the template code approved
    at the provider (阿里云 SMS_xxx, 腾讯云 a number), its signature, and which of the
    message's values fill which template variable, in order (腾讯云's {1}, {2}… are
    positional; 阿里云's ${name} are named).

    The province is its code, not a foreign key: the send path (notifications) reads this
    table and imports none of the apps above it, and the 2-digit code is the province's
    natural key everywhere (entry tokens, rosters). accounts/admin.py offers only real
    provinces in the form and limits each operator to their own."""

    province_code = models.CharField(
        _("考区代码"),
        max_length=2,
        validators=[RegexValidator(r"^\d{2}$", _("考区代码为两位数字。"))],
    )
    kind = models.CharField(_("短信类型"), max_length=16, choices=SmsKind.choices)
    language = models.CharField(
        _("语言"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_(
            "发给使用该语言的考生。考区未登记某类短信的英文模板时，使用英文界面的考生收到中文模板。"
        ),
    )
    template_code = models.CharField(
        _("模板编号"),
        max_length=50,
        help_text=_("服务商审核通过的模板编号，如阿里云 SMS_123456789、腾讯云 1234567。"),
    )
    sign_name = models.CharField(
        _("短信签名"),
        max_length=50,
        blank=True,
        help_text=_("留空则用部署配置的默认签名（YISHEN_SMS_SIGN_NAME）。"),
    )
    params = models.CharField(
        _("模板参数"),
        max_length=300,
        blank=True,
        help_text=_(
            "按模板中变量的顺序填写，用逗号分隔。每项为“字段”或“模板变量=字段”，"
            "如 name,hours 或 xm=name,sx=hours。腾讯云按顺序对应 {1}、{2}……；"
            "阿里云按模板变量名对应 ${变量}。"
        ),
    )
    text = models.TextField(
        _("模板内容（备查）"),
        blank=True,
        help_text=_("服务商审核通过的模板原文，便于核对；发送以服务商的模板为准。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("短信模板")
        verbose_name_plural = pgettext_lazy("plural", "短信模板")
        ordering = ["province_code", "kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["province_code", "kind", "language"],
                name="smstemplate_one_per_kind_and_language",
                violation_error_message=_("本考区已登记该类型、该语言的短信模板。"),
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.province_code} · {self.get_kind_display()} · {self.get_language_display()}"
            f" · {self.template_code}"
        )

    def clean(self) -> None:
        """Refuses parameters the message does not provide, and a variable used twice."""
        super().clean()
        try:
            pairs = template_params_parse(self.params)
        except ValidationError as exc:
            raise ValidationError({"params": exc}) from exc
        provided = SMS_KIND_PARAMS.get(self.kind, ())
        errors = []
        for _var, field in pairs:
            if field not in provided:
                errors.append(
                    ValidationError(
                        _("“%(kind)s”短信没有参数“%(field)s”。可用的参数：%(provided)s。"),
                        params={
                            "kind": SmsKind(self.kind).label if self.kind else "",
                            "field": field,
                            "provided": "、".join(
                                f"{name}（{sms_param_label(self.kind, name)}）" for name in provided
                            ),
                        },
                    )
                )
        variables = [var for var, _field in pairs]
        duplicated = sorted({var for var in variables if variables.count(var) > 1})
        if duplicated:
            errors.append(
                ValidationError(
                    _("模板变量重复：%(names)s。"), params={"names": "、".join(duplicated)}
                )
            )
        if errors:
            raise ValidationError({"params": errors})

    def template_params(self, values: dict) -> dict[str, str]:
        """The variables of the template filled from a message's values, in order."""
        return {
            var: str(values.get(field, "")) for var, field in template_params_parse(self.params)
        }
