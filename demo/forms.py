from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.enums import KNOWN_TAGS, TAG_LABELS
from accounts.models import ExamCategory, Province


class DemoRegisterForm(forms.Form):
    """The demo registration system: a brand-new candidate for trying the activation."""

    name = forms.CharField(label=_("姓名"), max_length=20, required=False)
    province = forms.ModelChoiceField(
        label=_("考区"),
        queryset=Province.objects.filter(entry_enabled=True),
        empty_label=None,
        to_field_name="code",
    )
    category = forms.ModelChoiceField(
        label=_("报考类别"),
        queryset=ExamCategory.objects.all(),
        empty_label=None,
        to_field_name="code",
    )
    tags = forms.MultipleChoiceField(
        label=_("考生标记"),
        required=False,
        choices=[(tag, TAG_LABELS[tag]) for tag in KNOWN_TAGS],
        widget=forms.CheckboxSelectMultiple,
    )
