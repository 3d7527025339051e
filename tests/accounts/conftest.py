from tests.notifications.conftest import sms_outbox  # noqa: F401  (fixture)
