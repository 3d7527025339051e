from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from .validators import validate_mobile


class ConfirmRegistrationForm(forms.Form):
    """Step 1 has no input: the button confirms the summary shown above it."""


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=_("我已阅读并同意上述个人信息处理规则，同意处理我的证件照片等个人信息"),
        required=True,
        error_messages={"required": _("请勾选同意后继续。")},
    )


class PhoneForm(forms.Form):
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


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        validators=[RegexValidator(r"^\d{6}$", _("验证码为6位数字。"))],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
        error_messages={"required": _("请输入短信验证码。")},
    )


class AddressForm(forms.Form):
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
