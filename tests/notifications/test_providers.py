"""阿里云 and 腾讯云 SMS through their official SDKs, against local stand-ins of their APIs
(tests/notifications/standins.py): the message goes out as the province's approved template,
each class of provider error ends in retry or give up with a Chinese reason, a timeout ends
结果未知, and receipts mark messages 已送达 / 未送达."""

import datetime as dt
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.enums import NotificationStatus, SmsKind
from notifications.models import Notification, SmsTemplate
from notifications.sending import notification_deliver, notifications_fetch_receipts
from notifications.sms import sms_send
from notifications.tasks import notification_fetch_receipts
from tests.factories.accounts import CandidateFactory, ProvinceFactory, TestSiteFactory

from .standins import Scripted, aliyun_error, tencent_error, tencent_status_error

pytestmark = pytest.mark.django_db

PROVIDERS = ["aliyun", "tencent"]


@pytest.fixture
def provider(request):
    """Either stand-in, by the test's parameter."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def candidate():
    shandong = ProvinceFactory(code="37", name="山东")
    return CandidateFactory(
        site=TestSiteFactory(province=shandong, code="3701"),
        name="王伟",
        phone="13900000001",
    )


@pytest.fixture
def templates(candidate):
    """The province's templates: the return notice with the candidate's name and the reply
    hours (阿里云 variables xm and sx; 腾讯云 {1} {2})."""
    return [
        SmsTemplate.objects.create(
            province_code="37",
            kind=SmsKind.RETURN,
            template_code="SMS_480001",
            sign_name="山东省医师资格考试",
            params="xm=name,sx=hours",
        ),
        SmsTemplate.objects.create(
            province_code="37", kind=SmsKind.APPROVED, template_code="SMS_480002", params="name"
        ),
    ]


def _send_return(candidate, capture, *, key="t:1"):
    """A return notice, sent once the transaction commits (the send task, eager here)."""
    with capture(execute=True):
        notification = sms_send(kind=SmsKind.RETURN, candidate=candidate, event_key=key, hours=24)
    notification.refresh_from_db()
    return notification


def _try_once(candidate, capture):
    """A return notice handed to the provider once: the state after one attempt (the eager
    send task would run its retry at once)."""
    with capture(execute=False):
        notification = sms_send(kind=SmsKind.RETURN, candidate=candidate, event_key="t:1", hours=24)
    notification_deliver(notification=notification)
    notification.refresh_from_db()
    return notification


# --- success ------------------------------------------------------------------------------


def test_aliyun_sends_the_province_template_with_named_parameters(
    aliyun, candidate, templates, django_capture_on_commit_callbacks
):
    notification = _send_return(candidate, django_capture_on_commit_callbacks)
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_id == aliyun.sent[0]["biz_id"]
    assert notification.template_code == "SMS_480001"
    (call,) = aliyun.calls
    assert call.action == "SendSms"
    assert call.params["PhoneNumbers"] == "13900000001"
    assert call.params["SignName"] == "山东省医师资格考试"
    assert call.params["TemplateCode"] == "SMS_480001"
    assert json.loads(call.params["TemplateParam"]) == {"xm": "王伟", "sx": "24"}
    # The message's key, echoed in receipts.
    assert call.params["OutId"] == f"yishen-sms-{notification.pk}"
    assert call.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=test-key-id")
    # The text stays the province's, for the log and the candidate's page.
    assert "24小时之内" in notification.text


def test_tencent_sends_the_province_template_with_parameters_in_order(
    tencent, candidate, templates, django_capture_on_commit_callbacks
):
    notification = _send_return(candidate, django_capture_on_commit_callbacks)
    assert notification.status == NotificationStatus.SENT
    assert notification.provider_id == tencent.sent[0]["serial"]
    (call,) = tencent.calls
    assert call.action == "SendSms"
    assert call.params["PhoneNumberSet"] == ["+8613900000001"]
    assert call.params["SmsSdkAppId"] == "1400000001"
    assert call.params["SignName"] == "山东省医师资格考试"
    assert call.params["TemplateId"] == "SMS_480001"
    assert call.params["TemplateParamSet"] == ["王伟", "24"]
    assert call.params["SessionContext"] == f"yishen-sms-{notification.pk}"
    assert call.headers["authorization"].startswith("TC3-HMAC-SHA256 Credential=test-secret-id/")


def test_aliyun_sends_the_window_reminder_with_the_province_template(
    aliyun, candidate, django_capture_on_commit_callbacks
):
    SmsTemplate.objects.create(
        province_code="37",
        kind=SmsKind.WINDOW_REMINDER,
        template_code="SMS_480009",
        params="xm=name,jz=deadline",
    )
    deadline = dt.datetime(2026, 5, 10, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(
            kind=SmsKind.WINDOW_REMINDER, candidate=candidate, event_key="w:1", deadline=deadline
        )
    (call,) = aliyun.calls
    assert call.params["TemplateCode"] == "SMS_480009"
    assert json.loads(call.params["TemplateParam"]) == {"xm": "王伟", "jz": "2026年5月10日17:00"}


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_default_signature_when_the_template_has_none(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sms_send(kind=SmsKind.APPROVED, candidate=candidate, event_key="t:2")
    assert provider.calls[0].params["SignName"] == "医师资格考试"


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_not_called_when_the_province_has_no_template_for_the_kind(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = sms_send(kind=SmsKind.REJECTED, candidate=candidate, event_key="t:3")
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.last_error == "考区 37 未配置“审核拒绝”短信模板，未发送"
    assert provider.calls == []


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_not_called_when_the_message_lacks_a_template_parameter(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    SmsTemplate.objects.filter(kind=SmsKind.RETURN).update(params="name,deadline")
    notification = _send_return(candidate, django_capture_on_commit_callbacks)
    assert notification.status == NotificationStatus.FAILED
    assert notification.last_error == "短信缺少模板参数：deadline，未发送"
    assert provider.calls == []


# --- provider errors: retry or give up ------------------------------------------------------

ALIYUN_ERRORS = [
    # (answer, HTTP status, state, reason)
    (
        aliyun_error("isv.BUSINESS_LIMIT_CONTROL"),
        200,
        "ready",
        "号码发送频率超过服务商限制（阿里云 isv.BUSINESS_LIMIT_CONTROL）",
    ),
    (aliyun_error("isp.SYSTEM_ERROR"), 200, "ready", "服务商系统错误（阿里云 isp.SYSTEM_ERROR）"),
    (
        aliyun_error("Throttling.User", "Request was denied due to user flow control."),
        400,
        "ready",
        "服务商接口调用过于频繁（阿里云 Throttling.User）",
    ),
    (
        aliyun_error("ServiceUnavailable"),
        503,
        "ready",
        "服务商暂不可用（阿里云 ServiceUnavailable）",
    ),
    (
        aliyun_error("isv.MOBILE_NUMBER_ILLEGAL"),
        200,
        "failed",
        "手机号码无效（阿里云 isv.MOBILE_NUMBER_ILLEGAL）",
    ),
    (
        aliyun_error("isv.SMS_TEMPLATE_ILLEGAL"),
        200,
        "failed",
        "短信模板不存在或未审核通过（阿里云 isv.SMS_TEMPLATE_ILLEGAL）",
    ),
    (
        aliyun_error("isv.SMS_SIGNATURE_ILLEGAL"),
        200,
        "failed",
        "短信签名不存在或未审核通过（阿里云 isv.SMS_SIGNATURE_ILLEGAL）",
    ),
    (
        aliyun_error("isv.AMOUNT_NOT_ENOUGH"),
        200,
        "failed",
        "短信账户余额不足（阿里云 isv.AMOUNT_NOT_ENOUGH）",
    ),
    (
        aliyun_error("InvalidAccessKeyId.NotFound", "Specified access key is not found."),
        404,
        "failed",
        "访问密钥不存在（阿里云 InvalidAccessKeyId.NotFound）",
    ),
    (
        aliyun_error("isv.SOMETHING_NEW", "新的错误"),
        200,
        "ready",
        "服务商返回错误（阿里云 isv.SOMETHING_NEW：新的错误）",
    ),
]


@pytest.mark.parametrize(("answer", "status", "state", "reason"), ALIYUN_ERRORS)
def test_aliyun_error_retried_or_given_up_with_reason(
    aliyun, candidate, templates, django_capture_on_commit_callbacks, answer, status, state, reason
):
    aliyun.script(Scripted(body=answer, status=status))
    before = timezone.now()
    notification = _try_once(candidate, django_capture_on_commit_callbacks)
    assert (notification.status, notification.last_error) == (state, reason)
    assert notification.attempts == 1
    if state == "ready":
        assert notification.next_attempt_at > before
        assert notification.sent_at is None


TENCENT_ERRORS = [
    (
        tencent_status_error("LimitExceeded.PhoneNumberThirtySecondLimit"),
        "ready",
        "号码发送频率超过服务商限制（30秒）（腾讯云 LimitExceeded.PhoneNumberThirtySecondLimit）",
    ),
    (
        tencent_status_error("LimitExceeded.PhoneNumberDailyLimit"),
        "ready",
        "号码发送数量超过服务商日限制（腾讯云 LimitExceeded.PhoneNumberDailyLimit）",
    ),
    (
        tencent_error("RequestLimitExceeded"),
        "ready",
        "服务商接口调用过于频繁（腾讯云 RequestLimitExceeded）",
    ),
    (
        tencent_error("InternalError.Timeout"),
        "ready",
        "服务商内部超时（腾讯云 InternalError.Timeout）",
    ),
    (
        tencent_status_error("InvalidParameterValue.IncorrectPhoneNumber"),
        "failed",
        "手机号码无效（腾讯云 InvalidParameterValue.IncorrectPhoneNumber）",
    ),
    (
        tencent_error("FailedOperation.TemplateIncorrectOrUnapproved"),
        "failed",
        "短信模板不存在或未审核通过（腾讯云 FailedOperation.TemplateIncorrectOrUnapproved）",
    ),
    (
        tencent_error("FailedOperation.SignatureIncorrectOrUnapproved"),
        "failed",
        "短信签名不存在或未审核通过（腾讯云 FailedOperation.SignatureIncorrectOrUnapproved）",
    ),
    (
        tencent_status_error("FailedOperation.InsufficientBalanceInSmsPackage"),
        "failed",
        "短信套餐包余量不足（腾讯云 FailedOperation.InsufficientBalanceInSmsPackage）",
    ),
    (
        tencent_error("AuthFailure.SecretIdNotFound"),
        "failed",
        "访问密钥不存在（腾讯云 AuthFailure.SecretIdNotFound）",
    ),
]


@pytest.mark.parametrize(("answer", "state", "reason"), TENCENT_ERRORS)
def test_tencent_error_retried_or_given_up_with_reason(
    tencent, candidate, templates, django_capture_on_commit_callbacks, answer, state, reason
):
    tencent.script(Scripted(body=answer))
    notification = _try_once(candidate, django_capture_on_commit_callbacks)
    assert (notification.status, notification.last_error) == (state, reason)


def test_tencent_http_error_status_retried(
    tencent, candidate, templates, django_capture_on_commit_callbacks
):
    tencent.script(Scripted(body={"message": "bad gateway"}, status=502))
    notification = _try_once(candidate, django_capture_on_commit_callbacks)
    assert notification.status == NotificationStatus.READY
    assert notification.last_error.startswith("服务商暂不可用（腾讯云 ServerNetworkError")


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_rate_limit_then_sent_on_the_retry(
    provider, candidate, templates, django_capture_on_commit_callbacks, settings
):
    """A retry after the provider's rate limit goes through (no need to wait in the test:
    the refused try did not count against our own per-phone limit)."""
    busy = (
        aliyun_error("isv.BUSINESS_LIMIT_CONTROL")
        if provider.provider == "aliyun"
        else tencent_status_error("LimitExceeded.PhoneNumberThirtySecondLimit")
    )
    provider.script(Scripted(body=busy))
    notification = _try_once(candidate, django_capture_on_commit_callbacks)
    assert notification.status == NotificationStatus.READY
    notification_deliver(notification=notification)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    assert len(provider.sent) == 1


# --- per-phone limits ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_never_called_for_a_message_over_the_per_phone_limit(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    """The return notice and the result a moment later to one number: the provider gets the
    first; the second waits, READY, with the reason, and reaches it once the minute is over."""
    first = _send_return(candidate, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        second = sms_send(kind=SmsKind.APPROVED, candidate=candidate, event_key="t:2")
    second.refresh_from_db()
    assert first.status == NotificationStatus.SENT
    assert second.status == NotificationStatus.READY
    assert second.last_error.startswith("同一号码每分钟最多发送 1 条短信，已推迟到")
    assert provider.actions() == ["SendSms"]
    # A minute later.
    Notification.objects.filter(pk=first.pk).update(sent_at=timezone.now() - timedelta(seconds=61))
    notification_deliver(notification=second)
    second.refresh_from_db()
    assert second.status == NotificationStatus.SENT
    assert provider.actions() == ["SendSms", "SendSms"]


# --- timeouts -----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_timeout_leaves_the_message_unknown_never_resent(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    """No answer in time: the provider may have sent it, so it is 结果未知, not retried."""
    provider.script(Scripted(delay=2.5))
    notification = _send_return(candidate, django_capture_on_commit_callbacks)
    name = "阿里云" if provider.provider == "aliyun" else "腾讯云"
    assert notification.status == NotificationStatus.UNKNOWN
    assert notification.last_error == f"短信服务商（{name}）未在时限内应答，结果未知"
    assert len(provider.calls) == 1


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_unreachable_retried_later(
    provider, candidate, templates, django_capture_on_commit_callbacks, settings
):
    """Not connected at all: the request never left, so it is retried."""
    unused = _closed_port_url()
    settings.YISHEN_SMS_ALIYUN_ENDPOINT = unused
    settings.YISHEN_SMS_TENCENT_ENDPOINT = unused
    notification = _try_once(candidate, django_capture_on_commit_callbacks)
    name = "阿里云" if provider.provider == "aliyun" else "腾讯云"
    assert notification.status == NotificationStatus.READY
    assert notification.last_error == f"未能连接短信服务商（{name}）"


def _closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- receipts -----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_receipts_mark_delivered_and_undelivered(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    other = CandidateFactory(site=candidate.site, name="李娜", phone="13900000002")
    first = _send_return(candidate, django_capture_on_commit_callbacks, key="t:1")
    second = _send_return(other, django_capture_on_commit_callbacks, key="t:2")
    code = "MK:0001" if provider.provider == "aliyun" else "UNDELIV"
    provider.report(index=0, delivered=True)
    provider.report(index=1, delivered=False, code=code)
    result = notification_fetch_receipts.apply().get()
    first.refresh_from_db()
    second.refresh_from_db()
    name = "阿里云" if provider.provider == "aliyun" else "腾讯云"
    assert first.status == NotificationStatus.DELIVERED
    assert first.delivered_at is not None
    assert second.status == NotificationStatus.UNDELIVERED
    assert second.last_error == f"未送达（{name} {code}）"
    assert (result["delivered"], result["undelivered"]) == (1, 1)


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_receipt_pending_leaves_the_message_sent(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    notification = _send_return(candidate, django_capture_on_commit_callbacks)
    notifications_fetch_receipts()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.receipt_checked_at is not None


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_receipt_settles_a_message_of_unknown_outcome_by_its_key(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    """The provider accepted the message but its answer was lost (a timeout): the receipt
    names the message by its key (OutId / SessionContext) and settles it."""
    provider.script(Scripted(delay=2.5))
    notification = _send_return(candidate, django_capture_on_commit_callbacks)
    assert notification.status == NotificationStatus.UNKNOWN
    provider.report(index=0, delivered=True)
    notifications_fetch_receipts()
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.last_error == ""


@pytest.mark.parametrize("provider", PROVIDERS, indirect=True)
def test_provider_receipt_error_reported_not_raised(
    provider, candidate, templates, django_capture_on_commit_callbacks
):
    notification = _send_return(candidate, django_capture_on_commit_callbacks)
    answer = (
        aliyun_error("isp.SYSTEM_ERROR")
        if provider.provider == "aliyun"
        else tencent_error("InternalError.Timeout")
    )
    provider.script(Scripted(body=answer))
    result = notification_fetch_receipts.apply().get()
    assert "服务商" in result["error"]
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.receipt_checked_at is None


def test_receipts_not_asked_with_the_console_backend(candidate, django_capture_on_commit_callbacks):
    _send_return(candidate, django_capture_on_commit_callbacks)
    assert notification_fetch_receipts.apply().get() == {
        "checked": 0,
        "delivered": 0,
        "undelivered": 0,
    }


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "backend",
    [
        "notifications.backends.aliyun.AliyunSmsBackend",
        "notifications.backends.tencent.TencentSmsBackend",
    ],
)
def test_system_check_refuses_a_provider_without_its_keys(settings, backend):
    from django.core.checks import run_checks

    settings.YISHEN_SMS_BACKEND = backend
    errors = [e for e in run_checks() if e.id == "notifications.E001"]
    assert len(errors) == 1
    assert "are required" in errors[0].msg


def test_system_check_passes_with_the_provider_keys(aliyun):
    from django.core.checks import run_checks

    assert [e for e in run_checks() if e.id == "notifications.E001"] == []
