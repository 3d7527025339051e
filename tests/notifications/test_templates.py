"""Provider templates per province and kind of message: operators keep their own in the
admin, and a mapping whose parameters the message does not provide is refused (by the
model's clean, so by the admin form too)."""

import re

import pytest
from django.core.exceptions import ValidationError

from notifications.enums import SmsKind
from notifications.models import SmsTemplate
from notifications.sms import sms_send
from tests.factories.accounts import (
    CandidateFactory,
    ProvinceFactory,
    TestSiteFactory,
    national_admin,
    operator,
)

pytestmark = pytest.mark.django_db

ADD = "/admin/notifications/smstemplate/add/"
CHANGELIST = "/admin/notifications/smstemplate/"


def _template(**fields) -> SmsTemplate:
    values = {"province_code": "37", "kind": SmsKind.RETURN, "template_code": "SMS_1"}
    return SmsTemplate(**{**values, **fields})


def test_sms_template_clean_accepts_what_the_message_provides():
    _template(params="name, sx=hours ,deadline").full_clean()
    _template(kind=SmsKind.CODE, params="code").full_clean()
    _template(params="").full_clean()  # a template without variables


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        (
            SmsKind.APPROVED,
            "name,hours",
            "“审核通过”短信没有参数“hours”。可用的参数：name（姓名）、reg_no（报名号）、year（考试年度）。",
        ),
        (SmsKind.CODE, "name", "“手机验证码”短信没有参数“name”。可用的参数：code（验证码）。"),
        (SmsKind.RETURN, "x=name,x=hours", "模板变量重复：x。"),
        (SmsKind.RETURN, "姓名", "参数“姓名”格式不对：应为“字段”或“模板变量=字段”。"),
        (SmsKind.RETURN, "a=b=name", "参数“a=b=name”格式不对：应为“字段”或“模板变量=字段”。"),
    ],
)
def test_sms_template_clean_refuses_parameters_the_message_lacks(kind, params, message):
    with pytest.raises(ValidationError) as refused:
        _template(kind=kind, params=params).full_clean()
    assert refused.value.message_dict["params"] == [message]


def test_sms_template_one_per_province_and_kind():
    _template().save()
    with pytest.raises(ValidationError):
        _template(template_code="SMS_2").full_clean()


def test_sms_message_row_keeps_the_values_for_the_template(django_capture_on_commit_callbacks):
    shandong = ProvinceFactory(code="37", name="山东")
    candidate = CandidateFactory(
        site=TestSiteFactory(province=shandong, code="3701"), name="王伟", phone="13900000001"
    )
    with django_capture_on_commit_callbacks(execute=False):
        notification = sms_send(kind=SmsKind.RETURN, candidate=candidate, hours=24)
    assert notification.kind == SmsKind.RETURN
    assert notification.province_code == "37"
    assert notification.params == {
        "name": "王伟",
        "reg_no": candidate.reg_no,
        "year": str(candidate.exam_year.year),
        "hours": "24",
    }


@pytest.fixture
def shandong_operator(client):
    shandong = ProvinceFactory(code="37", name="山东")
    ProvinceFactory(code="12", name="天津")
    client.force_login(operator(shandong, username="operator37"))
    return client


def test_admin_operator_adds_a_template_for_their_province(shandong_operator):
    response = shandong_operator.post(
        ADD,
        {
            "province_code": "37",
            "kind": SmsKind.RETURN,
            "language": "zh-hans",
            "template_code": "SMS_480001",
            "sign_name": "山东省医师资格考试",
            "params": "xm=name,sx=hours",
            "text": "${xm}您好，请在${sx}小时内处理。",
        },
    )
    assert response.status_code == 302
    template = SmsTemplate.objects.get()
    assert (template.province_code, template.language, template.params) == (
        "37",
        "zh-hans",
        "xm=name,sx=hours",
    )


def test_admin_form_refuses_a_parameter_the_message_lacks(shandong_operator):
    response = shandong_operator.post(
        ADD,
        {
            "province_code": "37",
            "kind": SmsKind.APPROVED,
            "template_code": "SMS_2",
            "params": "deadline",
        },
    )
    assert response.status_code == 200
    assert "“审核通过”短信没有参数“deadline”" in response.content.decode()
    assert not SmsTemplate.objects.exists()


def test_admin_operator_cannot_add_for_another_province(shandong_operator):
    response = shandong_operator.post(
        ADD,
        {"province_code": "12", "kind": SmsKind.CODE, "template_code": "SMS_3", "params": "code"},
    )
    assert response.status_code == 200
    assert not SmsTemplate.objects.exists()


def test_admin_operator_sees_only_their_province_templates(shandong_operator):
    mine = _template(province_code="37", template_code="SMS_37")
    mine.save()
    theirs = _template(province_code="12", template_code="SMS_12")
    theirs.save()
    body = shandong_operator.get(CHANGELIST).content.decode()
    assert "SMS_37" in body and "SMS_12" not in body
    assert shandong_operator.get(f"{CHANGELIST}{theirs.pk}/change/").status_code == 404


def test_admin_add_page_lists_what_each_kind_provides(shandong_operator):
    body = shandong_operator.get(ADD).content.decode()
    assert (
        "退回通知：name（姓名）、reg_no（报名号）、year（考试年度）、hours（修改时限（小时））"
        in body
    )
    assert '<option value="37" selected>37 山东</option>' in body
    assert "天津" not in body


def test_admin_add_page_says_the_invite_hours_are_how_long_its_link_is_valid(shandong_operator):
    body = shandong_operator.get(ADD).content.decode()
    invite = re.search(r"<li>审核账号开通：(.*?)</li>", body).group(1)
    assert "hours（链接有效期（小时））" in invite
    assert "修改时限" not in invite


def test_admin_national_chooses_any_province(client):
    ProvinceFactory(code="37", name="山东")
    ProvinceFactory(code="12", name="天津")
    client.force_login(national_admin(username="national"))
    body = client.get(ADD).content.decode()
    assert "37 山东" in body and "12 天津" in body
