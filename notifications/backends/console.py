"""Development backend: the message goes to the log (and so to the console of `make run`)."""

import logging
import uuid

from . import SmsBackend

logger = logging.getLogger("notifications.sms")


class ConsoleSmsBackend(SmsBackend):
    def send(self, recipient: str, text: str, *, key: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("短信 → %s: %s (%s, %s)", recipient, text, provider_id, key)
        return provider_id
