"""The operators' admin (考区管理). Every class goes through ProvinceScopedAdmin: an operator
sees and changes the rows of their own province only; national tables are read only to them."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from notifications.admin import NotificationAdmin as NotificationLogAdmin
from notifications.admin import SmsTemplateAdmin as SmsTemplateBaseAdmin
from notifications.models import Notification, SmsTemplate

from .admin_imports import roster_import_view, staff_import_view
from .admin_scoping import ProvinceScopedAdmin, admin_province_of, is_national
from .enums import StaffRole
from .http import client_ip
from .models import (
    Candidate,
    CandidateEvent,
    ExamCategory,
    ExamYear,
    Province,
    StaffAccount,
    StaffProfile,
    TestSite,
    mask_phone,
)
from .services import (
    staff_account_save,
    staff_accounts_deactivate,
    staff_invite_send,
    staff_second_factor_reset,
)
from .validators import staff_scope_validate


class ScopedSiteFilter(admin.SimpleListFilter):
    """The site filter lists only the sites the operator may see."""

    title = _("考点")
    parameter_name = "site"
    site_lookup = "site"

    def lookups(self, request, model_admin):
        sites = TestSite.objects.select_related("province")
        province = None if is_national(request) else admin_province_of(request)
        if province is not None:
            sites = sites.filter(province=province)
        return [(str(site.pk), str(site)) for site in sites]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.site_lookup}_id": self.value()})
        return queryset


@admin.register(ExamYear)
class ExamYearAdmin(ProvinceScopedAdmin):
    province_field = None
    list_display = ["year", "is_current"]


@admin.register(ExamCategory)
class ExamCategoryAdmin(ProvinceScopedAdmin):
    province_field = None  # the national table: operators read it
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Province)
class ProvinceAdmin(ProvinceScopedAdmin):
    # materials/admin.py extends this with the watermark text's check against the font.
    province_field = "pk"
    list_display = ["code", "name", "submit_mode", "entry_enabled", "opens_at", "closes_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "entry_enabled"]}),
        (_("上传与提交"), {"fields": ["opens_at", "closes_at", "submit_mode"]}),
        (_("退回与重新提交"), {"fields": ["reply_hours", "resubmit_to_returning_level"]}),
        (
            _("短信与水印"),
            {
                "fields": [
                    "sms_return_text",
                    "sms_approved_text",
                    "sms_rejected_text",
                    "sms_reminder_text",
                    "watermark_text",
                ],
                "description": _(
                    "短信可用 {hours}（修改时限小时数）、{deadline}（截止时间）、{name}、"
                    "{reg_no}、{year}。"
                ),
            },
        ),
        (
            _("提醒短信"),
            {
                "fields": [
                    "window_reminder_hours",
                    "sms_window_reminder_text",
                    "quiet_start",
                    "quiet_end",
                ],
                "description": _(
                    "上传截止提醒：截止前设定的小时数起，向本考区尚未提交的考生（含名单中从未"
                    "登录、只有报名系统登记手机号码的考生）各发一次，短信可用 {deadline}（上传"
                    "截止时间）、{name}、{reg_no}、{year}；修改上传截止时间后会按新时间再提醒"
                    "一次。修改截止提醒（退回后）与上传截止提醒都不在免打扰时段发送：到时段"
                    "结束再发；若截止时间早于时段结束，则在时段开始前一小时内提前发送。"
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if is_national(request):
            return qs
        province = admin_province_of(request)
        return qs.filter(pk=province.pk) if province else qs.none()

    def _obj_in_scope(self, request, obj, *, for_change: bool) -> bool:
        if is_national(request):
            return True
        province = admin_province_of(request)
        return province is not None and obj.pk == province.pk

    def has_add_permission(self, request):
        return is_national(request)

    def has_delete_permission(self, request, obj=None):
        return is_national(request)

    def get_readonly_fields(self, request, obj=None):
        return [] if is_national(request) else ["code", "name"]


@admin.register(TestSite)
class TestSiteAdmin(ProvinceScopedAdmin):
    province_field = "province"
    list_display = ["code", "name", "province"]
    list_select_related = ["province"]
    search_fields = ["code", "name"]

    def get_list_filter(self, request):
        return ["province"] if is_national(request) else []


class CandidateEventInline(admin.TabularInline):
    model = CandidateEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "data", "ip_address"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Candidate)
class CandidateAdmin(ProvinceScopedAdmin):
    """Read-mostly: the registration data comes from the registration system, decisions are
    taken in the reviewer workbench. The ID number is never shown whole."""

    province_field = "province"
    change_list_template = "admin/accounts/candidate/change_list.html"
    # review/admin.py adds the results export action (the export is review's).
    list_display = [
        "reg_no",
        "name",
        "masked_id",
        "category",
        "site",
        "status",
        "is_activated_display",
    ]
    list_select_related = ["province", "site", "category", "exam_year"]
    list_filter = ["status", ScopedSiteFilter, "exam_year", "category"]
    search_fields = ["=reg_no", "name"]
    show_full_result_count = False
    inlines = [CandidateEventInline]
    fieldsets = [
        (
            _("报名信息"),
            {
                "fields": [
                    "exam_year",
                    "reg_no",
                    "name",
                    "id_type",
                    "masked_id",
                    "province",
                    "site",
                    "category",
                    "tags",
                ]
            },
        ),
        (
            _("个人信息"),
            {
                "fields": [
                    "masked_phone_display",
                    "phone_verified_at",
                    "masked_roster_mobile",
                    "address",
                    "registration_confirmed_at",
                    "consent_at",
                    "activated_at",
                    "last_entry_at",
                ]
            },
        ),
        (
            _("审核"),
            {
                "fields": [
                    "status",
                    "submitted_at",
                    "returned_by",
                    "reply_deadline",
                    "status_changed_at",
                ]
            },
        ),
    ]
    # Every field shown is read-only: a candidate changes through entry and review only.
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    def has_add_permission(self, request):
        # Candidates come from the registration system only (entries, rosters).
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request: roster_import_view(self, request))
        return [path("import/", view, name="accounts_candidate_import"), *super().get_urls()]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_search_results(self, request, queryset, search_term):
        # A whole ID number finds its candidate through the keyed hash (never a LIKE on it).
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            found |= queryset.with_id_no(search_term)
        return found, may_have_duplicates

    @admin.display(description=_("证件号码"))
    def masked_id(self, obj: Candidate) -> str:
        return obj.masked_id_no

    @admin.display(description=_("手机号码"))
    def masked_phone_display(self, obj: Candidate) -> str:
        return obj.masked_phone

    @admin.display(description=_("报名系统登记的手机号码"))
    def masked_roster_mobile(self, obj: Candidate) -> str:
        return mask_phone(obj.roster_mobile)

    @admin.display(description=_("已激活"), boolean=True, ordering="activated_at")
    def is_activated_display(self, obj: Candidate) -> bool:
        return obj.is_activated


# --- reviewer and operator accounts ------------------------------------------------------------


class StaffAccountForm(forms.ModelForm):
    role = forms.ChoiceField(label=_("角色"), choices=StaffRole.choices)
    province = forms.ModelChoiceField(
        label=_("考区"), queryset=Province.objects.all(), required=False
    )
    site = forms.ModelChoiceField(
        label=_("考点"), queryset=TestSite.objects.select_related("province"), required=False
    )
    new_password = forms.CharField(
        label=_("密码"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("新建账号时必填；修改账号时留空则不改密码。"),
    )

    class Meta:
        model = StaffAccount
        fields = ["username", "first_name", "is_active"]
        labels = {"first_name": _("姓名")}

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        profile = getattr(self.instance, "staff_profile", None) if self.instance.pk else None
        if profile is not None:
            self.initial.update(
                role=profile.role, province=profile.province_id, site=profile.site_id
            )
        if request is not None and not is_national(request):
            province = admin_province_of(request)
            self.fields["role"].choices = [
                (StaffRole.SITE_REVIEWER, StaffRole.SITE_REVIEWER.label),
                (StaffRole.PROVINCE_REVIEWER, StaffRole.PROVINCE_REVIEWER.label),
            ]
            self.fields["province"].queryset = Province.objects.filter(pk=province.pk)
            self.fields["province"].initial = province.pk
            self.fields["site"].queryset = TestSite.objects.filter(province=province)

    def clean(self):
        data = super().clean()
        role, province, site = data.get("role"), data.get("province"), data.get("site")
        if province is None and self.request is not None and not is_national(self.request):
            # An operator's reviewers are always of the operator's province.
            data["province"] = province = admin_province_of(self.request)
        if role == StaffRole.SITE_REVIEWER and site is not None and province is None:
            data["province"] = province = site.province
        if role:
            try:
                staff_scope_validate(role=role, province=province, site=site)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        password = data.get("new_password")
        if not self.instance.pk and not password:
            self.add_error("new_password", _("请设置密码。"))
        if password:
            try:
                validate_password(password, self.instance)
            except ValidationError as exc:
                self.add_error("new_password", exc)
        return data


# Second-factor devices leave only through the audited reset below, never by the device
# pages django-otp's admin would add (keys, deletions without an audit row).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.action(description=_("重置双因素认证（手机遗失）"))
def reset_second_factor(modeladmin, request, queryset):
    """Removes the authenticator and recovery codes of the chosen accounts; each enrols anew
    at its next log-in. Superusers only (get_actions); each reset leaves an audit row."""
    ip = client_ip(request)
    names = []
    for user in queryset:
        if user.pk == request.user.pk:
            modeladmin.message_user(
                request, _("不能重置自己的双因素认证，请联系另一位超级管理员。"), messages.ERROR
            )
            continue
        staff_second_factor_reset(user=user, by=request.user, ip=ip)
        names.append(user.get_username())
    if names:
        modeladmin.message_user(
            request,
            _("已重置 %(names)s 的双因素认证，其下次登录时需重新绑定验证器。")
            % {"names": "、".join(names)},
            messages.SUCCESS,
        )


@admin.action(description=_("停用所选账号"))
def deactivate_accounts(modeladmin, request, queryset):
    """Bulk deactivation: the accounts can no longer log in (scope checked by the service)."""
    try:
        n = staff_accounts_deactivate(users=queryset, by=request.user)
    except PermissionDenied:
        modeladmin.message_user(
            request,
            _("所选账号中有您无权停用的账号（包括您自己的账号），未作任何修改。"),
            messages.ERROR,
        )
        return
    modeladmin.message_user(
        request,
        ngettext("已停用 %(n)d 个账号。", "已停用 %(n)d 个账号。", n) % {"n": n},
        messages.SUCCESS,
    )


@admin.action(description=_("重新发送开通短信"))
def resend_invites(modeladmin, request, queryset):
    """A new one-time link for accounts that have not set a password yet (the last one
    expired or was lost); earlier links stop working."""
    sent, skipped = 0, []
    for user in queryset.select_related("staff_profile"):
        mobile = getattr(getattr(user, "staff_profile", None), "mobile", "")
        if user.has_usable_password() or not mobile or not user.is_active:
            skipped.append(user.get_username())
            continue
        staff_invite_send(
            user=user, mobile=mobile, by=request.user, base_url=request.build_absolute_uri("/")
        )
        sent += 1
    if sent:
        modeladmin.message_user(
            request,
            ngettext("已向 %(n)d 个账号发送开通短信。", "已向 %(n)d 个账号发送开通短信。", sent)
            % {"n": sent},
            messages.SUCCESS,
        )
    if skipped:
        modeladmin.message_user(
            request,
            _("%(names)s 已设置密码、已停用或没有手机号码，未发送。")
            % {"names": "、".join(skipped)},
            messages.WARNING,
        )


@admin.register(StaffAccount)
class StaffAccountAdmin(ProvinceScopedAdmin):
    """Operators manage the reviewer accounts of their own province; national staff manage
    everyone except superusers (who are managed in 认证和授权 › 用户)."""

    province_field = "staff_profile__province"
    form = StaffAccountForm
    list_display = ["username", "first_name", "role_display", "scope_display", "is_active"]
    list_select_related = ["staff_profile__province", "staff_profile__site"]
    list_filter = ["staff_profile__role", "is_active"]
    search_fields = ["username", "first_name"]
    fields = ["username", "first_name", "role", "province", "site", "new_password", "is_active"]
    actions = [deactivate_accounts, resend_invites, reset_second_factor]
    change_list_template = "admin/accounts/staffaccount/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request: staff_import_view(self, request))
        return [path("import/", view, name="accounts_staffaccount_import"), *super().get_urls()]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("reset_second_factor", None)
        return actions

    def get_queryset(self, request):
        qs = super().get_queryset(request).filter(is_superuser=False)
        if is_national(request):
            return qs.filter(staff_profile__isnull=False)
        # Operators: reviewers only, never other operators or national staff.
        return qs.filter(
            staff_profile__role__in=[StaffRole.SITE_REVIEWER, StaffRole.PROVINCE_REVIEWER]
        )

    def _obj_in_scope(self, request, obj, *, for_change: bool) -> bool:
        if obj.is_superuser and not request.user.is_superuser:
            return False
        return super()._obj_in_scope(request, obj, for_change=for_change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class RequestForm(form_class):
            def __init__(self, *args, **kw):
                kw["request"] = request
                super().__init__(*args, **kw)

        return RequestForm

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            staff_account_save(
                user=obj,
                role=data["role"],
                province=data.get("province"),
                site=data.get("site"),
                password=data.get("new_password") or None,
                by=request.user,
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:  # the form checked it already; keep the rule in one place
            raise PermissionDenied(exc.messages) from exc

    @admin.display(description=_("角色"))
    def role_display(self, obj) -> str:
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile else "—"

    @admin.display(description=_("范围"))
    def scope_display(self, obj) -> str:
        profile = getattr(obj, "staff_profile", None)
        if profile is None:
            return "—"
        return str(profile.site or profile.province or _("全国"))


@admin.register(StaffProfile)
class StaffProfileAdmin(ProvinceScopedAdmin):
    """The scope rows themselves, for national staff (operators use 审核与管理账号)."""

    province_field = "province"
    list_display = ["user", "role", "province", "site"]
    list_select_related = ["user", "province", "site"]
    list_filter = ["role"]
    raw_id_fields = ["user"]

    def has_module_permission(self, request):
        return is_national(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_national(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return is_national(request)

    def has_change_permission(self, request, obj=None):
        return is_national(request)

    def has_delete_permission(self, request, obj=None):
        return is_national(request)


@admin.register(Notification)
class NotificationAdmin(NotificationLogAdmin, ProvinceScopedAdmin):
    """The SMS delivery log (notifications.admin), each operator's province only."""

    province_field = "candidate__province"


@admin.register(SmsTemplate)
class SmsTemplateAdmin(SmsTemplateBaseAdmin, ProvinceScopedAdmin):
    """The provider templates (notifications.admin), each operator's province only. A
    template names its province by code (notifications imports no Province): the form offers
    the provinces in scope, and the scope is checked on the code."""

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if is_national(request):
            return qs
        province = admin_province_of(request)
        return qs.filter(province_code=province.code) if province else qs.none()

    def _obj_in_scope(self, request, obj, *, for_change: bool) -> bool:
        if is_national(request):
            return True
        province = admin_province_of(request)
        return province is not None and obj.province_code == province.code

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "province_code":
            provinces = Province.objects.order_by("code")
            province = None if is_national(request) else admin_province_of(request)
            if province is not None:
                provinces = provinces.filter(pk=province.pk)
            return forms.TypedChoiceField(
                label=db_field.verbose_name,
                choices=[(p.code, f"{p.code} {p.name}") for p in provinces],
                initial=province.code if province else None,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)
