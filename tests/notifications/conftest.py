import pytest

from notifications.backends import locmem

from . import standins


@pytest.fixture
def sms_outbox(settings):
    """Messages go to the in-memory backend; the fixture is its outbox."""
    settings.YISHEN_SMS_BACKEND = "notifications.backends.locmem.LocmemSmsBackend"
    locmem.reset()
    yield locmem.outbox
    locmem.reset()


@pytest.fixture
def aliyun(settings):
    """The 阿里云 backend, its SDK pointed at a local stand-in of the Dysmsapi API."""
    standin, stop = standins.serve("aliyun")
    settings.YISHEN_SMS_BACKEND = "notifications.backends.aliyun.AliyunSmsBackend"
    settings.YISHEN_SMS_ALIYUN_ENDPOINT = standin.url
    settings.YISHEN_SMS_ALIYUN_ACCESS_KEY_ID = "test-key-id"
    settings.YISHEN_SMS_ALIYUN_ACCESS_KEY_SECRET = "test-key-secret"
    settings.YISHEN_SMS_SIGN_NAME = "医师资格考试"
    settings.YISHEN_SMS_TIMEOUT_SECONDS = 1
    yield standin
    stop()


@pytest.fixture
def tencent(settings):
    """The 腾讯云 backend, its SDK pointed at a local stand-in of the SMS API 3.0."""
    standin, stop = standins.serve("tencent")
    settings.YISHEN_SMS_BACKEND = "notifications.backends.tencent.TencentSmsBackend"
    settings.YISHEN_SMS_TENCENT_ENDPOINT = standin.url
    settings.YISHEN_SMS_TENCENT_SECRET_ID = "test-secret-id"
    settings.YISHEN_SMS_TENCENT_SECRET_KEY = "test-secret-key"
    settings.YISHEN_SMS_TENCENT_SDK_APP_ID = "1400000001"
    settings.YISHEN_SMS_SIGN_NAME = "医师资格考试"
    settings.YISHEN_SMS_TIMEOUT_SECONDS = 1
    yield standin
    stop()
