"""Development backend: the message goes to the log (and so to the console of `make run`)."""

import logging
import uuid

from . import OutgoingSms, SmsBackend

logger = logging.getLogger("notifications.sms")


class ConsoleSmsBackend(SmsBackend):
    def send(self, sms: OutgoingSms) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("短信 → %s: %s (%s, %s)", sms.recipient, sms.text, provider_id, sms.key)
        return provider_id
