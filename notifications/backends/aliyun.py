"""阿里云短信 (Dysmsapi 2017-05-25) through its official SDK, alibabacloud-dysmsapi20170525.

SendSms sends one approved template with a signature; the message key goes as OutId,
which 阿里云 does not deduplicate but echoes in QuerySendDetails, so a message whose send
was interrupted (UNKNOWN) is recognised in the receipts by it. QuerySendDetails answers per
number and day: SendStatus 1 waiting, 2 failed, 3 delivered.

Settings: YISHEN_SMS_ALIYUN_ACCESS_KEY_ID / _SECRET, YISHEN_SMS_SIGN_NAME (the default
signature), YISHEN_SMS_ALIYUN_ENDPOINT (default dysmsapi.aliyuncs.com; an http:// address
for a stand-in), YISHEN_SMS_TIMEOUT_SECONDS."""

import datetime as dt
import json
import logging
import time

from alibabacloud_dysmsapi20170525 import models as dysms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models
from darabonba.exceptions import ResponseException, UnretryableException
from django.conf import settings
from django.utils import timezone

from . import OutgoingSms, Receipt, ReceiptQuery, SmsError
from .cloud import CHINA_TIME, CloudSmsBackend, china_time, endpoint_parts, required_settings

PROVIDER = "阿里云"
# A receipt run stops asking after this long (the task's soft time limit is 240 s); the
# messages not asked about are asked in a later run.
RECEIPTS_BUDGET_SECONDS = 180

logger = logging.getLogger(__name__)

# The provider's error codes: retry later (True) or give up (False), with the reason.
ERRORS: dict[str, tuple[bool, str]] = {
    "isv.BUSINESS_LIMIT_CONTROL": (True, "号码发送频率超过服务商限制"),
    "isv.DAY_LIMIT_CONTROL": (True, "超过服务商的日发送限额"),
    "Throttling.User": (True, "服务商接口调用过于频繁"),
    "Throttling.Api": (True, "服务商接口调用过于频繁"),
    "Throttling": (True, "服务商接口调用过于频繁"),
    "isp.SYSTEM_ERROR": (True, "服务商系统错误"),
    "InternalError": (True, "服务商系统错误"),
    "ServiceUnavailable": (True, "服务商暂不可用"),
    "isv.MOBILE_NUMBER_ILLEGAL": (False, "手机号码无效"),
    "MissingSignName": (False, "未配置短信签名"),
    "isv.MOBILE_COUNT_OVER_LIMIT": (False, "手机号码数量超过限制"),
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": (False, "该号码不支持接收短信"),
    "isv.SMS_TEMPLATE_ILLEGAL": (False, "短信模板不存在或未审核通过"),
    "isv.SMS_SIGNATURE_ILLEGAL": (False, "短信签名不存在或未审核通过"),
    "isv.SMS_SIGN_ILLEGAL": (False, "短信签名不存在或未审核通过"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (False, "短信模板缺少参数"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": (False, "短信模板参数不合规"),
    "isv.PARAM_LENGTH_LIMIT": (False, "短信模板参数超过长度限制"),
    "isv.INVALID_JSON_PARAM": (False, "短信模板参数格式错误"),
    "isv.BLACK_KEY_CONTROL_LIMIT": (False, "内容含服务商禁止的关键字"),
    "isv.AMOUNT_NOT_ENOUGH": (False, "短信账户余额不足"),
    "isv.OUT_OF_SERVICE": (False, "短信账户已停机"),
    "isv.ACCOUNT_NOT_EXISTS": (False, "短信账户不存在"),
    "isv.ACCOUNT_ABNORMAL": (False, "短信账户异常"),
    "isv.DENY_IP_RANGE": (False, "服务器地址不在服务商白名单内"),
    "isv.SECURITY_FROZEN_ACCOUNT": (False, "短信账户被冻结"),
    "isp.RAM_PERMISSION_DENY": (False, "访问密钥无短信发送权限"),
    "Forbidden.RAM": (False, "访问密钥无短信发送权限"),
    "InvalidAccessKeyId.NotFound": (False, "访问密钥不存在"),
    "InvalidAccessKeyId.Inactive": (False, "访问密钥已停用"),
    "SignatureDoesNotMatch": (False, "访问密钥错误（签名不匹配）"),
    "IncompleteSignature": (False, "访问密钥错误（签名不匹配）"),
}


def _china_date(moment: dt.datetime) -> str:
    return timezone.localtime(moment, CHINA_TIME).strftime("%Y%m%d")


class AliyunSmsBackend(CloudSmsBackend):
    provider = PROVIDER
    errors = ERRORS

    def __init__(self) -> None:
        key_id, secret = required_settings(
            "YISHEN_SMS_ALIYUN_ACCESS_KEY_ID", "YISHEN_SMS_ALIYUN_ACCESS_KEY_SECRET"
        )
        parts = endpoint_parts(settings.YISHEN_SMS_ALIYUN_ENDPOINT)
        timeout_ms = int(settings.YISHEN_SMS_TIMEOUT_SECONDS * 1000)
        self.client = Client(
            open_api_models.Config(
                access_key_id=key_id,
                access_key_secret=secret,
                endpoint=parts.netloc,
                protocol=parts.scheme,
                connect_timeout=timeout_ms,
                read_timeout=timeout_ms,
            )
        )

    def _call(self, method, request):
        try:
            return getattr(self.client, method)(request)
        except ResponseException as exc:  # an HTTP error answer with the provider's code
            raise self.error_for(str(exc.code), str(getattr(exc, "message", ""))) from exc
        except UnretryableException as exc:  # the network: never connected, or no answer
            raise self.network_error(str(exc)) from exc

    def send(self, sms: OutgoingSms) -> str:
        request = dysms_models.SendSmsRequest(
            phone_numbers=sms.recipient,
            sign_name=sms.sign_name or settings.YISHEN_SMS_SIGN_NAME,
            template_code=sms.template_code,
            template_param=json.dumps(sms.template_params, ensure_ascii=False),
            out_id=sms.key,
        )
        body = self._call("send_sms", request).body
        if body.code != "OK":
            raise self.error_for(body.code or "", body.message or "")
        return body.biz_id or ""

    def fetch_receipts(self, queries: list[ReceiptQuery]) -> list[Receipt]:
        """One QuerySendDetails per message (per number and day, by BizId when known); a
        message UNKNOWN (no BizId) is found by its OutId among the number's messages of the
        day."""
        receipts = []
        stop_at = time.monotonic() + RECEIPTS_BUDGET_SECONDS
        for query in queries:
            if time.monotonic() > stop_at:
                break
            request = dysms_models.QuerySendDetailsRequest(
                phone_number=query.recipient,
                biz_id=query.provider_id or None,
                send_date=_china_date(query.sent_at),
                page_size=50,
                current_page=1,
            )
            try:
                body = self._call("query_send_details", request).body
                if body.code != "OK":
                    raise self.error_for(body.code or "", body.message or "")
            except SmsError as exc:
                if not receipts:
                    raise
                # Keep what was read; the provider is unwell, ask again next run.
                logger.warning("阿里云 QuerySendDetails stopped: %s", exc)
                break
            details = body.sms_send_detail_dtos
            for detail in (details.sms_send_detail_dto if details else None) or []:
                if detail.out_id != query.key:
                    continue
                if detail.send_status not in (2, 3):  # 1: waiting for the receipt
                    continue
                receipts.append(
                    Receipt(
                        key=query.key,
                        delivered=detail.send_status == 3,
                        provider_id=query.provider_id,
                        error="" if detail.send_status == 3 else self.undelivered(detail.err_code),
                        received_at=china_time(detail.receive_date),
                    )
                )
                break
        return receipts
