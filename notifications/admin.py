from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .enums import (
    SMS_KIND_PARAMS,
    NotificationPurpose,
    NotificationStatus,
    SmsKind,
    sms_param_label,
)
from .models import Notification, SmsTemplate
from .services import RESENDABLE, notification_requeue


class NotificationAdmin(admin.ModelAdmin):
    """The delivery log: read only, except sending a failed message again. Registered by
    accounts/admin.py, which limits it to the operator's province (notifications imports
    none of the apps that use it)."""

    list_display = [
        "created_at",
        "purpose",
        "kind",
        "candidate",
        "masked_recipient",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "purpose", "kind"]
    list_select_related = ["candidate"]
    search_fields = ["candidate__reg_no", "recipient"]
    date_hierarchy = "created_at"
    actions = ["requeue_failed", "resend_unknown"]
    fields = [
        "candidate",
        "recipient",
        "purpose",
        "kind",
        "province_code",
        "language",
        "shown_text",
        "template_code",
        "template_language",
        "status",
        "last_error",
        "attempts",
        "next_attempt_at",
        "quiet_start",
        "quiet_end",
        "send_before",
        "provider_id",
        "event_key",
        "created_at",
        "updated_at",
        "sent_at",
        "delivered_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("接收号码"), ordering="recipient")
    def masked_recipient(self, obj: Notification) -> str:
        if len(obj.recipient) < 7:
            return obj.recipient
        return f"{obj.recipient[:3]}****{obj.recipient[-4:]}"

    @admin.display(description=_("内容"))
    def shown_text(self, obj: Notification) -> str:
        # A verification code is the candidate's secret, even from staff.
        if obj.purpose == NotificationPurpose.VERIFICATION_CODE:
            return str(_("（验证码短信，内容不显示）"))
        return obj.text

    @admin.action(description=_("重新发送所选的发送失败或未送达短信"))
    def requeue_failed(self, request, queryset):
        count = 0
        for notification in queryset.filter(status__in=RESENDABLE).exclude(
            purpose=NotificationPurpose.VERIFICATION_CODE
        ):
            count += notification_requeue(notification=notification)
        self.message_user(
            request,
            ngettext("已重新发送 %(count)d 条短信。", "已重新发送 %(count)d 条短信。", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("确认未送达后重新发送所选的结果未知短信"))
    def resend_unknown(self, request, queryset):
        """A message whose send was interrupted may have arrived: it is sent again only after
        the operator has checked the provider's records and confirms on a second page."""
        unknown = queryset.filter(status=NotificationStatus.UNKNOWN).exclude(
            purpose=NotificationPurpose.VERIFICATION_CODE
        )
        if request.POST.get("confirmed") == "yes":
            count = 0
            for notification in unknown:
                count += notification_requeue(notification=notification, unknown_confirmed=True)
            self.message_user(
                request,
                ngettext(
                    "已确认未送达并重新发送 %(count)d 条短信。",
                    "已确认未送达并重新发送 %(count)d 条短信。",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        if not unknown:
            self.message_user(request, _("所选短信中没有结果未知的短信。"), messages.WARNING)
            return None
        return TemplateResponse(
            request,
            "admin/notifications/notification/confirm_resend_unknown.html",
            {
                **self.admin_site.each_context(request),
                "title": _("确认重新发送结果未知的短信"),
                "opts": self.model._meta,
                "notifications": unknown,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


class SmsTemplateAdmin(admin.ModelAdmin):
    """A province's provider templates, one per kind of message and language (the Chinese
    one is what every message falls back to). Registered by
    accounts/admin.py, which offers the provinces in the operator's scope (notifications
    imports none of the apps that use it). The model's clean refuses parameters that the
    message does not provide."""

    list_display = [
        "province_code",
        "kind",
        "language",
        "template_code",
        "sign_name",
        "params",
        "updated_at",
    ]
    list_filter = ["kind", "language"]
    search_fields = ["template_code", "province_code"]
    fields = ["province_code", "kind", "language", "template_code", "sign_name", "params", "text"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # Which parameters each kind of message provides, under the field.
        form.base_fields["params"].help_text = format_html(
            "{}<ul>{}</ul>",
            SmsTemplate._meta.get_field("params").help_text,
            format_html_join(
                "",
                "<li>{}：{}</li>",
                (
                    (
                        kind.label,
                        "、".join(
                            f"{name}（{sms_param_label(kind, name)}）"
                            for name in SMS_KIND_PARAMS[kind]
                        ),
                    )
                    for kind in SmsKind
                ),
            ),
        )
        return form
