"""Every SMS text is chosen and filled in by one helper (notifications.sms)."""

import pytest

from notifications.enums import NotificationPurpose
from notifications.models import Notification
from notifications.sms import SmsKind, sms_send, sms_text
from tests.factories.accounts import CandidateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate():
    candidate = CandidateFactory(name="王伟", reg_no="2612010001")
    province = candidate.province
    province.sms_return_text = "{name}（{reg_no}）：请在{hours}小时内修改。"
    province.sms_approved_text = "{year}年 {name} 审核通过。"
    province.sms_rejected_text = "{name} 审核未通过。"
    province.sms_reminder_text = "{deadline}截止。"
    province.save()
    return candidate


def test_each_kind_is_written_from_its_own_template(candidate):
    year = candidate.exam_year.year
    assert sms_text(kind=SmsKind.RETURN, candidate=candidate, hours=24) == (
        "王伟（2612010001）：请在24小时内修改。"
    )
    assert sms_text(kind=SmsKind.APPROVED, candidate=candidate) == f"{year}年 王伟 审核通过。"
    assert sms_text(kind=SmsKind.REJECTED, candidate=candidate) == "王伟 审核未通过。"
    assert sms_text(kind=SmsKind.CODE, candidate=candidate, code="123456").startswith(
        "您的医师资格考试报名材料上传系统验证码为123456，"
    )


def test_send_goes_to_the_candidate_phone_with_the_kind_purpose(candidate):
    notification = sms_send(kind=SmsKind.REJECTED, candidate=candidate, event_key="t:1")
    assert notification.recipient == candidate.phone
    assert notification.purpose == NotificationPurpose.RESULT
    assert notification.text == "王伟 审核未通过。"


def test_send_without_a_phone_queues_nothing(candidate):
    candidate.phone = ""
    assert sms_send(kind=SmsKind.APPROVED, candidate=candidate, event_key="t:2") is None
    assert not Notification.objects.exists()


def test_a_text_the_operator_wrote_goes_as_written_to_a_candidate_using_english(candidate):
    candidate.language = "en"
    candidate.save()
    assert sms_text(kind=SmsKind.RETURN, candidate=candidate, hours=24) == (
        "王伟（2612010001）：请在24小时内修改。"
    )
    assert sms_text(kind=SmsKind.REJECTED, candidate=candidate) == "王伟 审核未通过。"
