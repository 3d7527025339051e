"""SMS in the candidate's language with the providers that send only approved templates
(阿里云, 腾讯云, against their stand-ins): a province registers, per kind of message, a
template for English besides the Chinese one; a message goes out as the template of its
language (the candidate's, or the page's for a verification code), else as the Chinese
one with its values written in Chinese too, and the log says which template and language
went. Operators keep their own province's templates, one per kind and language."""

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from notifications.enums import NotificationStatus, SmsKind
from notifications.models import Notification, SmsTemplate
from notifications.sending import notification_deliver
from notifications.sms import sms_send, sms_staff_send
from tests.factories.accounts import (
    CandidateFactory,
    ProvinceFactory,
    TestSiteFactory,
    operator,
)

pytestmark = pytest.mark.django_db

PROVIDERS = ["aliyun", "tencent"]
ADD = "/admin/notifications/smstemplate/add/"
CHANGELIST = "/admin/notifications/smstemplate/"
BEIJING_OFFSET = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def provider(request):
    """Either stand-in, by the test's parameter."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def shandong():
    province = ProvinceFactory(code="37", name="山东")
    TestSiteFactory(province=province, code="3701")
    return province


def _candidate(province, *, language: str, phone: str = "13900000001"):
    return CandidateFactory(
        site=province.sites.get(), name="Wang Wei", phone=phone, language=language
    )


def _template(language: str, code: str, *, kind=SmsKind.RETURN, params="name,hours"):
    return SmsTemplate.objects.create(
        province_code="37", kind=kind, language=language, template_code=code, params=params
    )


def _send(capture, candidate, *, kind=SmsKind.RETURN, key="t:1", **context) -> Notification:
    context = context or {"hours": 24}
    with capture(execute=True):
        notification = sms_send(kind=kind, candidate=candidate, event_key=key, **context)
    notification.refresh_from_db()
    return notification


def _template_sent(provider) -> str:
    (call,) = provider.calls
    return call.params.get("TemplateCode") or call.params["TemplateId"]


# --- which template goes -----------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_candidate_using_english_is_sent_the_provinces_english_template(
    provider, shandong, django_capture_on_commit_callbacks
):
    _template("zh-hans", "SMS_480001")
    _template("en", "SMS_480101")
    candidate = _candidate(shandong, language="en")
    sms = _send(django_capture_on_commit_callbacks, candidate)
    assert _template_sent(provider) == "SMS_480101"
    assert (sms.status, sms.language, sms.template_code, sms.template_language) == (
        NotificationStatus.SENT,
        "en",
        "SMS_480101",
        "en",
    )


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_candidate_using_chinese_is_sent_the_chinese_template_beside_an_english_one(
    provider, shandong, django_capture_on_commit_callbacks
):
    _template("zh-hans", "SMS_480001")
    _template("en", "SMS_480101")
    with translation.override("en"):  # whatever the language of the reviewer's page
        sms = _send(django_capture_on_commit_callbacks, _candidate(shandong, language="zh-hans"))
    assert _template_sent(provider) == "SMS_480001"
    assert (sms.language, sms.template_language) == ("zh-hans", "zh-hans")


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_candidate_using_english_gets_the_chinese_template_when_the_province_has_no_english(
    provider, shandong, django_capture_on_commit_callbacks
):
    _template("zh-hans", "SMS_480001")
    _template("en", "SMS_480102", kind=SmsKind.APPROVED, params="name")  # another kind's
    sms = _send(django_capture_on_commit_callbacks, _candidate(shandong, language="en"))
    assert _template_sent(provider) == "SMS_480001"
    # The log says the English message went out as the Chinese template.
    assert (sms.status, sms.language, sms.template_code, sms.template_language) == (
        NotificationStatus.SENT,
        "en",
        "SMS_480001",
        "zh-hans",
    )


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_an_english_template_alone_serves_no_candidate_using_chinese(
    provider, shandong, django_capture_on_commit_callbacks
):
    _template("en", "SMS_480101")
    sms = _send(django_capture_on_commit_callbacks, _candidate(shandong, language="zh-hans"))
    assert sms.status == NotificationStatus.FAILED
    assert sms.last_error == "考区 37 未配置“退回通知”短信模板，未发送"
    assert provider.calls == []


def test_english_template_values_are_written_in_english(
    aliyun, shandong, django_capture_on_commit_callbacks
):
    _template("en", "SMS_480109", kind=SmsKind.WINDOW_REMINDER, params="xm=name,jz=deadline")
    deadline = dt.datetime(2026, 5, 10, 17, 0, tzinfo=BEIJING_OFFSET)
    with translation.override("zh-hans"):  # the sweep runs in the default language
        _send(
            django_capture_on_commit_callbacks,
            _candidate(shandong, language="en"),
            kind=SmsKind.WINDOW_REMINDER,
            deadline=deadline,
        )
    (call,) = aliyun.calls
    assert call.params["TemplateCode"] == "SMS_480109"
    assert json.loads(call.params["TemplateParam"]) == {"xm": "Wang Wei", "jz": "2026-5-10 17:00"}


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_english_message_sent_as_the_chinese_template_has_its_values_in_chinese(
    provider, shandong, django_capture_on_commit_callbacks
):
    """No English template: the Chinese one goes, and its deadline reads in Chinese like the
    rest of it (not 2026-5-10 17:00 in a Chinese sentence)."""
    _template("zh-hans", "SMS_480003", params="xm=name,sx=hours,jz=deadline")
    deadline = dt.datetime(2026, 5, 10, 17, 0, tzinfo=BEIJING_OFFSET)
    with translation.override("en"):  # a reviewer using English returns the candidate
        sms = _send(
            django_capture_on_commit_callbacks,
            _candidate(shandong, language="en"),
            hours=24,
            deadline=deadline,
        )
    (call,) = provider.calls
    chinese = {"xm": "Wang Wei", "sx": "24", "jz": "2026年5月10日17:00"}
    if "TemplateParam" in call.params:  # 阿里云: by variable name
        assert json.loads(call.params["TemplateParam"]) == chinese
    else:  # 腾讯云: in order
        assert call.params["TemplateParamSet"] == list(chinese.values())
    assert (sms.status, sms.language, sms.template_language) == (
        NotificationStatus.SENT,
        "en",
        "zh-hans",
    )
    # The English values stay on the row, with the English text, for the log.
    assert sms.params["deadline"] == "2026-5-10 17:00"
    assert "May" not in sms.fallback_params["deadline"]


def test_english_message_keeps_english_values_for_an_english_template_beside_a_chinese_one(
    tencent, shandong, django_capture_on_commit_callbacks
):
    _template("zh-hans", "480004", kind=SmsKind.WINDOW_REMINDER, params="name,deadline")
    _template("en", "480104", kind=SmsKind.WINDOW_REMINDER, params="name,deadline")
    deadline = dt.datetime(2026, 5, 10, 17, 0, tzinfo=BEIJING_OFFSET)
    _send(
        django_capture_on_commit_callbacks,
        _candidate(shandong, language="en"),
        kind=SmsKind.WINDOW_REMINDER,
        deadline=deadline,
    )
    (call,) = tencent.calls
    assert (call.params["TemplateId"], call.params["TemplateParamSet"]) == (
        "480104",
        ["Wang Wei", "2026-5-10 17:00"],
    )


def test_message_in_chinese_keeps_no_second_set_of_values(
    shandong, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        sms = sms_send(
            kind=SmsKind.RETURN,
            candidate=_candidate(shandong, language="zh-hans"),
            event_key="c",
            hours=24,
        )
    assert (sms.params["hours"], sms.fallback_params) == ("24", {})


def test_english_message_stored_before_the_chinese_values_were_kept_still_goes(
    aliyun, shandong, django_capture_on_commit_callbacks
):
    """A row written by the previous release (no Chinese values): its own values go."""
    _template("zh-hans", "SMS_480005", kind=SmsKind.WINDOW_REMINDER, params="jz=deadline")
    with django_capture_on_commit_callbacks(execute=False):
        sms = sms_send(
            kind=SmsKind.WINDOW_REMINDER,
            candidate=_candidate(shandong, language="en"),
            event_key="old",
            deadline=dt.datetime(2026, 5, 10, 17, 0, tzinfo=BEIJING_OFFSET),
        )
    Notification.objects.filter(pk=sms.pk).update(fallback_params={})
    sms.refresh_from_db()
    notification_deliver(notification=sms)
    assert json.loads(aliyun.calls[0].params["TemplateParam"]) == {"jz": "2026-5-10 17:00"}


def test_chinese_template_values_stay_chinese_when_the_reviewer_uses_english(
    aliyun, shandong, django_capture_on_commit_callbacks
):
    _template("zh-hans", "SMS_480009", kind=SmsKind.WINDOW_REMINDER, params="jz=deadline")
    deadline = dt.datetime(2026, 5, 10, 17, 0, tzinfo=BEIJING_OFFSET)
    with translation.override("en"):
        _send(
            django_capture_on_commit_callbacks,
            _candidate(shandong, language="zh-hans"),
            kind=SmsKind.WINDOW_REMINDER,
            deadline=deadline,
        )
    assert json.loads(aliyun.calls[0].params["TemplateParam"]) == {"jz": "2026年5月10日17:00"}


def test_verification_code_follows_the_language_of_the_page(
    aliyun, shandong, django_capture_on_commit_callbacks
):
    _template("zh-hans", "SMS_480000", kind=SmsKind.CODE, params="code")
    _template("en", "SMS_480100", kind=SmsKind.CODE, params="code")
    candidate = _candidate(shandong, language="zh-hans")
    with translation.override("en"):
        sms = _send(
            django_capture_on_commit_callbacks,
            candidate,
            kind=SmsKind.CODE,
            recipient="13900000002",
            code="123456",
        )
    assert (sms.language, sms.template_code) == ("en", "SMS_480100")


def test_message_row_knows_the_candidates_language(shandong, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        english = sms_send(
            kind=SmsKind.APPROVED, candidate=_candidate(shandong, language="en"), event_key="a"
        )
        chinese = sms_send(
            kind=SmsKind.APPROVED,
            candidate=_candidate(shandong, language="zh-hans", phone="13900000003"),
            event_key="b",
        )
    assert (english.language, chinese.language) == ("en", "zh-hans")
    assert (english.template_language, chinese.template_language) == ("", "")


# --- one per province, kind and language -------------------------------------------------------


def test_sms_template_one_per_province_kind_and_language():
    _template("zh-hans", "SMS_1")
    _template("en", "SMS_2")  # the same kind in another language
    duplicate = SmsTemplate(
        province_code="37",
        kind=SmsKind.RETURN,
        language="en",
        template_code="SMS_3",
        params="name",
    )
    with pytest.raises(ValidationError) as refused:
        duplicate.full_clean()
    assert refused.value.messages == ["本考区已登记该类型、该语言的短信模板。"]
    SmsTemplate(
        province_code="12", kind=SmsKind.RETURN, language="en", template_code="SMS_4"
    ).full_clean()  # another province's


@pytest.fixture
def shandong_operator(client, shandong):
    ProvinceFactory(code="12", name="天津")
    client.force_login(operator(shandong, username="operator37"))
    return client


def _form(**fields) -> dict:
    return {
        "province_code": "37",
        "kind": SmsKind.RETURN,
        "language": "en",
        "template_code": "SMS_480101",
        "params": "name,hours",
        "text": "Dear ${name}, please reply within ${hours} hours.",
        **fields,
    }


def test_admin_operator_adds_an_english_template_beside_the_chinese_one(shandong_operator):
    _template("zh-hans", "SMS_480001")
    response = shandong_operator.post(ADD, _form())
    assert response.status_code == 302
    assert sorted(
        SmsTemplate.objects.values_list("province_code", "kind", "language", "template_code")
    ) == [("37", "return", "en", "SMS_480101"), ("37", "return", "zh-hans", "SMS_480001")]


def test_admin_refuses_a_second_template_for_the_same_kind_and_language(shandong_operator):
    _template("en", "SMS_480101")
    response = shandong_operator.post(ADD, _form(template_code="SMS_480199"))
    assert response.status_code == 200
    assert "本考区已登记该类型、该语言的短信模板。" in response.content.decode()
    assert list(SmsTemplate.objects.values_list("template_code", flat=True)) == ["SMS_480101"]


def test_admin_operator_cannot_add_an_english_template_for_another_province(shandong_operator):
    response = shandong_operator.post(ADD, _form(province_code="12"))
    assert response.status_code == 200
    assert not SmsTemplate.objects.exists()


def test_admin_operator_cannot_open_another_provinces_english_template(shandong_operator):
    theirs = SmsTemplate.objects.create(
        province_code="12", kind=SmsKind.RETURN, language="en", template_code="SMS_120101"
    )
    assert shandong_operator.get(f"{CHANGELIST}{theirs.pk}/change/").status_code == 404
    assert "SMS_120101" not in shandong_operator.get(CHANGELIST).content.decode()


def test_admin_template_list_and_form_show_the_language(shandong_operator):
    _template("en", "SMS_480101")
    listing = shandong_operator.get(CHANGELIST).content.decode()
    assert '<td class="field-language">English</td>' in listing
    assert '<a href="?language__exact=en">English</a>' in listing  # the filter
    form = shandong_operator.get(ADD).content.decode()
    assert '<select name="language"' in form
    assert "使用英文界面的考生收到中文模板" in form


def test_admin_log_shows_the_message_and_template_language(
    shandong_operator, aliyun, shandong, django_capture_on_commit_callbacks
):
    _template("zh-hans", "SMS_480001")
    sms = _send(django_capture_on_commit_callbacks, _candidate(shandong, language="en"))
    body = shandong_operator.get(f"/admin/notifications/notification/{sms.pk}/change/")
    assert body.status_code == 200
    text = re.sub(r"\s+", " ", body.content.decode())
    assert '<label>语言:</label> <div class="readonly">English</div>' in text
    assert '<label>模板语言:</label> <div class="readonly">简体中文</div>' in text


def test_staff_invite_is_written_in_the_language_of_the_operators_page(
    django_capture_on_commit_callbacks,
):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=False):
        sms = sms_staff_send(
            kind=SmsKind.STAFF_INVITE,
            recipient="13900000009",
            province_code="37",
            name="Li Hua",
            username="lihua",
            hours=24,
            link="https://yishen.example.org/staff/invite/x/",
        )
    assert sms.language == "en"
    assert sms.text.startswith("Dear Li Hua")
