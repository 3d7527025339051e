from django import forms
from django.core.validators import RegexValidator
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

from .validators import validate_mobile


class FocusFirstErrorBoundField(BoundField):
    """The field of a refused form that the page focuses when it loads (autofocus): the first
    one in error. Django already marks a field in error aria-invalid and points its
    aria-describedby at the error (and the help text)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.name == self.form.first_error_field:
            attrs["autofocus"] = True
        return attrs


class CandidateForm(forms.Form):
    """A candidate's form. After a refusal the page opens on the field to correct: focused, so
    a phone scrolls to it and a screen reader reads its error (the profile page's address
    form stands 1100 px down a phone's 844). The services' refusals stand on a field too, so
    every error of a candidate's form is found this one way."""

    bound_field_class = FocusFirstErrorBoundField

    @property
    def first_error_field(self) -> str | None:
        if not self.is_bound or not self.errors:
            return None
        return next((name for name in self.fields if name in self.errors), None)


class ConfirmRegistrationForm(forms.Form):
    """Step 1 has no input: the button confirms the summary shown above it."""


class ConsentForm(CandidateForm):
    agree = forms.BooleanField(
        label=_("我已阅读并同意上述个人信息处理规则，同意处理我的证件照片等个人信息"),
        required=True,
        error_messages={"required": _("请勾选同意后继续。")},
    )


class PhoneForm(CandidateForm):
    phone = forms.CharField(
        label=_("手机号码"),
        # validate_mobile alone checks the length too: a min/max length validator beside it
        # would say the same sentence twice.
        validators=[validate_mobile],
        help_text=_("用于本次报考过程中接收考区、考点的短信通知。"),
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel", "maxlength": 11}
        ),
        error_messages={
            "required": _("请输入手机号码。"),
        },
    )

    def clean_phone(self) -> str:
        return self.cleaned_data["phone"].strip()


class CodeForm(CandidateForm):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        validators=[RegexValidator(r"^\d{6}$", _("验证码为6位数字。"))],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
        error_messages={"required": _("请输入短信验证码。")},
    )


class AddressForm(CandidateForm):
    address = forms.CharField(
        label=_("联系地址"),
        min_length=5,
        max_length=200,
        help_text=_("请填写能收到邮件的详细地址，如省、市、区、街道、门牌号。"),
        error_messages={
            "required": _("请填写联系地址。"),
            "min_length": _("请填写完整的联系地址。"),
            "max_length": _("联系地址不能超过200个字。"),
        },
    )


class StaffOtpForm(forms.Form):
    """The code after the password: six digits from the authenticator, or a recovery code."""

    token = forms.CharField(
        label=_("验证码"),
        max_length=32,
        help_text=_("输入手机验证器当前显示的6位数字；手机不在身边时，可输入一个恢复码。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": _("请输入验证码。")},
    )


class StaffOtpSetupForm(forms.Form):
    token = forms.CharField(
        label=_("验证码"),
        max_length=8,
        help_text=_("扫码添加后，输入验证器显示的6位数字以完成绑定。"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
        error_messages={"required": _("请输入验证码。")},
    )
