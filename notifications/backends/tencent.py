"""腾讯云短信 (SMS API 2021-01-11) through its official SDK, tencentcloud-sdk-python-sms.

SendSms sends one approved template (TemplateId) with a signature; its parameters are
positional ({1}, {2}…), in the order the province's mapping lists them. The message key goes
as SessionContext, which 腾讯云 does not deduplicate but returns in the delivery receipts,
so a message whose send was interrupted (UNKNOWN) is recognised there. PullSmsSendStatus
hands out each receipt once (a queue, for the whole application): every receipt pulled is
applied to whichever message it names.

Settings: YISHEN_SMS_TENCENT_SECRET_ID / _SECRET_KEY, YISHEN_SMS_TENCENT_SDK_APP_ID,
YISHEN_SMS_TENCENT_REGION (default ap-guangzhou), YISHEN_SMS_SIGN_NAME (the default
signature), YISHEN_SMS_TENCENT_ENDPOINT (default sms.tencentcloudapi.com; an http:// address
for a stand-in), YISHEN_SMS_TIMEOUT_SECONDS."""

from django.conf import settings
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from . import OutgoingSms, Receipt, ReceiptQuery, TransientSmsError
from .cloud import CloudSmsBackend, china_time, endpoint_parts, required_settings

PROVIDER = "腾讯云"
# Receipts pulled per call (the API's maximum) and calls per run.
PULL_LIMIT = 100
PULL_PAGES = 10

# The provider's error codes: retry later (True) or give up (False), with the reason.
ERRORS: dict[str, tuple[bool, str]] = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": (True, "号码发送频率超过服务商限制（30秒）"),
    "LimitExceeded.PhoneNumberOneHourLimit": (True, "号码发送频率超过服务商限制（1小时）"),
    "LimitExceeded.PhoneNumberDailyLimit": (True, "号码发送数量超过服务商日限制"),
    "LimitExceeded.PhoneNumberSameContentDailyLimit": (True, "同一内容发送次数超过服务商日限制"),
    "LimitExceeded.DailyLimit": (True, "超过服务商的日发送限额"),
    "LimitExceeded.AppDailyLimit": (True, "超过服务商的日发送限额"),
    "RequestLimitExceeded": (True, "服务商接口调用过于频繁"),
    "InternalError.Timeout": (True, "服务商内部超时"),
    "InternalError.SendAndRecvFail": (True, "服务商系统错误"),
    "InternalError.OtherError": (True, "服务商系统错误"),
    "InternalError": (True, "服务商系统错误"),
    "ServerNetworkError": (True, "服务商暂不可用"),
    "InvalidParameterValue.IncorrectPhoneNumber": (False, "手机号码无效"),
    "MissingParameter": (False, "请求缺少必填参数（如未配置短信签名）"),
    "FailedOperation.PhoneNumberParseFail": (False, "手机号码无效"),
    "FailedOperation.PhoneNumberInBlacklist": (False, "号码在服务商的黑名单中"),
    "FailedOperation.PhoneNumberOnBlacklist": (False, "号码在服务商的黑名单中"),
    "FailedOperation.TemplateIncorrectOrUnapproved": (False, "短信模板不存在或未审核通过"),
    "FailedOperation.SignatureIncorrectOrUnapproved": (False, "短信签名不存在或未审核通过"),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (
        False,
        "模板参数与审核通过的模板不一致",
    ),
    "InvalidParameterValue.TemplateParameterFormatError": (False, "短信模板参数格式错误"),
    "InvalidParameterValue.TemplateParameterLengthLimit": (False, "短信模板参数超过长度限制"),
    "FailedOperation.ContainSensitiveWord": (False, "内容含服务商禁止的敏感词"),
    "FailedOperation.InsufficientBalanceInSmsPackage": (False, "短信套餐包余量不足"),
    "UnauthorizedOperation.ServiceSuspendDueToArrears": (False, "短信账户欠费停服"),
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": (False, "短信应用 SdkAppId 无效"),
    "UnauthorizedOperation.RequestPermissionDeny": (False, "访问密钥无短信发送权限"),
    "AuthFailure.SecretIdNotFound": (False, "访问密钥不存在"),
    "AuthFailure.SignatureFailure": (False, "访问密钥错误（签名不匹配）"),
    "AuthFailure.UnauthorizedOperation": (False, "访问密钥无短信发送权限"),
}


def _e164(phone: str) -> str:
    return phone if phone.startswith("+") else f"+86{phone}"


class TencentSmsBackend(CloudSmsBackend):
    provider = PROVIDER
    errors = ERRORS

    def __init__(self) -> None:
        secret_id, secret_key, self.app_id = required_settings(
            "YISHEN_SMS_TENCENT_SECRET_ID",
            "YISHEN_SMS_TENCENT_SECRET_KEY",
            "YISHEN_SMS_TENCENT_SDK_APP_ID",
        )
        parts = endpoint_parts(settings.YISHEN_SMS_TENCENT_ENDPOINT)
        profile = ClientProfile(
            httpProfile=HttpProfile(
                protocol=parts.scheme,
                endpoint=parts.netloc,
                reqTimeout=settings.YISHEN_SMS_TIMEOUT_SECONDS,
            )
        )
        self.client = SmsClient(
            credential.Credential(secret_id, secret_key),
            settings.YISHEN_SMS_TENCENT_REGION,
            profile,
        )

    def _call(self, method: str, request):
        try:
            return getattr(self.client, method)(request)
        except TencentCloudSDKException as exc:
            if exc.code == "ClientNetworkError":  # never connected, or no answer
                raise self.network_error(str(exc.message)) from exc
            raise self.error_for(str(exc.code), str(exc.message or "")) from exc

    def send(self, sms: OutgoingSms) -> str:
        request = sms_models.SendSmsRequest()
        request.SmsSdkAppId = self.app_id
        request.PhoneNumberSet = [_e164(sms.recipient)]
        request.SignName = sms.sign_name or settings.YISHEN_SMS_SIGN_NAME
        request.TemplateId = sms.template_code
        request.TemplateParamSet = list(sms.template_params.values())
        request.SessionContext = sms.key
        response = self._call("SendSms", request)
        statuses = response.SendStatusSet or []
        if not statuses:
            raise TransientSmsError(f"服务商未返回发送结果（{PROVIDER}）")
        status = statuses[0]
        if status.Code != "Ok":
            raise self.error_for(status.Code or "", status.Message or "")
        return status.SerialNo or ""

    def fetch_receipts(self, queries: list[ReceiptQuery]) -> list[Receipt]:
        """Pulls the application's receipt queue (each receipt is handed out once), up to
        PULL_PAGES × PULL_LIMIT receipts a run; `queries` is not needed to ask."""
        receipts = []
        for _page in range(PULL_PAGES):
            request = sms_models.PullSmsSendStatusRequest()
            request.SmsSdkAppId = self.app_id
            request.Limit = PULL_LIMIT
            response = self._call("PullSmsSendStatus", request)
            batch = response.PullSmsSendStatusSet or []
            for status in batch:
                delivered = status.ReportStatus == "SUCCESS"
                receipts.append(
                    Receipt(
                        key=status.SessionContext or "",
                        delivered=delivered,
                        provider_id=status.SerialNo or "",
                        error="" if delivered else self.undelivered(status.Description),
                        received_at=china_time(status.UserReceiveTime),
                    )
                )
            if len(batch) < PULL_LIMIT:
                break
        return receipts
