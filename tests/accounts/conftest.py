from tests.notifications.conftest import sms_outbox  # noqa: F401  (fixture)
from tests.review.conftest import org  # noqa: F401  (fixture)
