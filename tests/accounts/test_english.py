"""The English catalogues of accounts, notifications and demo: what English users see, and
the Chinese default left as it was."""

import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.enums import CandidateStatus
from accounts.forms import AddressForm, PhoneForm
from accounts.models import Candidate, ExamYear
from accounts.selectors import CODE_MAX_ATTEMPTS
from accounts.services import phone_code_send, phone_code_verify
from demo.forms import DemoRegisterForm
from notifications.enums import NotificationStatus
from notifications.models import Notification
from tests.factories.accounts import CandidateFactory


def _errors(form) -> list[str]:
    form.is_valid()
    return [message for messages in form.errors.values() for message in messages]


def test_phone_and_address_form_errors_in_english():
    with translation.override("en"):
        assert _errors(PhoneForm({"phone": "1381234"})) == [
            "Please enter a valid 11-digit mobile number."
        ]
        assert _errors(PhoneForm({"phone": ""})) == ["Please enter your mobile number."]
        assert _errors(AddressForm({"address": "济南"})) == [
            "Please enter your full contact address."
        ]


def test_form_errors_stay_chinese_by_default():
    assert _errors(PhoneForm({"phone": "1381234"})) == ["请输入正确的11位手机号码。"]
    assert _errors(AddressForm({"address": "济南"})) == ["请填写完整的联系地址。"]


@pytest.mark.django_db(transaction=True)
def test_wrong_code_in_english_counts_the_attempts_left_in_the_plural(sms_outbox):
    candidate = CandidateFactory()  # activated: a change of number
    phone_code_send(candidate=candidate, phone="13812345678")
    sent = re.search(r"\d{6}", sms_outbox[-1].text).group(0)
    wrong = f"{(int(sent) + 1) % 1_000_000:06d}"
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        phone_code_verify(candidate=candidate, code=wrong)
    left = CODE_MAX_ATTEMPTS - 1
    assert refused.value.messages == [
        f"Incorrect verification code. {left} attempt{'s' if left != 1 else ''} left."
    ]


def test_admin_names_are_english_and_plural():
    with translation.override("en"):
        assert (
            str(apps.get_app_config("accounts").verbose_name) == "Exam organisation and candidates"
        )
        assert str(apps.get_app_config("notifications").verbose_name) == "Notifications"
        assert str(Candidate._meta.verbose_name) == "Candidate"
        assert str(Candidate._meta.verbose_name_plural) == "Candidates"
        assert str(ExamYear._meta.verbose_name_plural) == "Exam years"
        assert str(Notification._meta.verbose_name_plural) == "Notifications"
        assert str(CandidateStatus.SITE_PASSED.label) == "Passed by test site"
        assert str(NotificationStatus.UNKNOWN.label) == "Outcome unknown"
    # The same names in Chinese, singular and plural alike.
    assert str(Candidate._meta.verbose_name_plural) == "考生"
    assert str(apps.get_app_config("notifications").verbose_name) == "通知"


@pytest.mark.django_db
def test_demo_registration_form_in_english():
    with translation.override("en"):
        form = DemoRegisterForm()
        assert [str(form[name].label) for name in ("name", "province", "category", "tags")] == [
            "Name",
            "Province",
            "Exam category",
            "Candidate tags",
        ]
        # A tag is named in English; the value sent on stays the registration system's.
        assert ("应届毕业生", "Graduating this year") in [
            (value, str(label)) for value, label in form.fields["tags"].choices
        ]
