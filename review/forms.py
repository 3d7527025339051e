"""Forms of the reviewer workbench. Inputs only; the rules live in review.services."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.enums import CandidateStatus, StaffRole
from accounts.models import ExamCategory, ExamYear, TestSite
from accounts.selectors import StaffScope, sites_in_scope, staff_scope_of

from .models import ReturnReason

REVIEW_ROLES = (
    StaffRole.SITE_REVIEWER,
    StaffRole.PROVINCE_REVIEWER,
    StaffRole.OPERATOR,
    StaffRole.NATIONAL,
)


def reviewer_scope(user) -> StaffScope | None:
    """The scope of a user who may work in the reviewer workbench, else None (the login
    form and the workbench's door both ask this)."""
    scope = staff_scope_of(user)
    return scope if scope.role in REVIEW_ROLES else None


def _limit_sites(form: forms.Form, profile) -> None:
    # A site reviewer has one site: no choice to offer.
    if profile.role == StaffRole.SITE_REVIEWER:
        del form.fields["site"]
    else:
        form.fields["site"].queryset = sites_in_scope(profile)


class ReviewerLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误。"),
        "inactive": _("该账号已停用。"),
        "not_reviewer": _("该账号不是审核人员账号，不能登录审核工作台。"),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if reviewer_scope(user) is None:
            raise ValidationError(self.error_messages["not_reviewer"], code="not_reviewer")


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)
    site = forms.ModelChoiceField(
        label=_("考点"), queryset=TestSite.objects.none(), required=False, empty_label=_("全部")
    )
    category = forms.ModelChoiceField(
        label=_("报考类别"),
        queryset=ExamCategory.objects.all(),
        required=False,
        empty_label=_("全部"),
    )
    resubmitted = forms.BooleanField(label=_("退回后重新提交"), required=False)
    overdue = forms.BooleanField(label=_("已过修改截止时间"), required=False)
    precheck = forms.BooleanField(label=_("机器预审提示"), required=False)
    q = forms.CharField(label=_("报名号、姓名或证件号码"), required=False, max_length=64)

    def __init__(self, *args, profile, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("all", _("全部"))] + list(CandidateStatus.choices)
        _limit_sites(self, profile)


class ImageReturnForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=_("退回原因"),
        queryset=ReturnReason.objects.none(),
        required=False,
        empty_label=_("请选择标准原因"),
    )
    text = forms.CharField(label=_("补充说明"), required=False, max_length=500)
    expected_status = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, province, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = ReturnReason.objects.filter(
            Q(province=province) | Q(province__isnull=True), is_active=True
        )

    def clean(self):
        data = super().clean()
        if not data.get("reason") and not (data.get("text") or "").strip():
            raise ValidationError(_("请选择退回原因。"))
        return data


class DecisionForm(forms.Form):
    ACTIONS = (
        ("site_pass", _("考点通过")),
        ("return", _("退回考生")),
        ("return_to_site", _("退回考点")),
        ("approve", _("审核通过")),
        ("reject", _("审核拒绝")),
    )
    action = forms.ChoiceField(choices=ACTIONS)
    message = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea
    )
    item_category = forms.IntegerField(required=False)
    item_reason = forms.CharField(required=False, max_length=200)
    expected_status = forms.CharField(required=False)
    next = forms.BooleanField(required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("内部备注"), max_length=2000, widget=forms.Textarea)


class ExportForm(forms.Form):
    """The filters of the export, named as the export URLs read them."""

    site = forms.ModelChoiceField(
        label=_("考点"),
        queryset=TestSite.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部"),
    )
    status = forms.ChoiceField(label=_("状态"), required=False)
    year = forms.TypedChoiceField(label=_("考试年度"), coerce=int, required=False)

    def __init__(self, *args, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部"))] + list(CandidateStatus.choices)
        years = list(ExamYear.objects.order_by("-year").values_list("year", "is_current"))
        self.fields["year"].choices = [(y, str(y)) for y, _current in years]
        current = next((y for y, is_current in years if is_current), None)
        if current is not None:
            self.fields["year"].initial = current
        _limit_sites(self, profile)
