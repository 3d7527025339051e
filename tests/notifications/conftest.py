import pytest

from notifications.backends import locmem


@pytest.fixture
def sms_outbox(settings):
    """Messages go to the in-memory backend; the fixture is its outbox."""
    settings.YISHEN_SMS_BACKEND = "notifications.backends.locmem.LocmemSmsBackend"
    locmem.reset()
    yield locmem.outbox
    locmem.reset()
