"""Test backend: keeps every message in `outbox`. Tests may queue errors in `failures`
(raised, in order, by the next sends) to exercise retries. With `idempotent` set it behaves
as a provider that deduplicates on the message key."""

import itertools
from dataclasses import dataclass, field

from . import OutgoingSms, SmsBackend

_ids = itertools.count(1)


@dataclass(frozen=True)
class SentSms:
    recipient: str
    text: str
    provider_id: str
    key: str = ""
    template_code: str = ""
    template_params: dict = field(default_factory=dict)


outbox: list[SentSms] = []
failures: list[Exception] = []


def reset() -> None:
    outbox.clear()
    failures.clear()


class LocmemSmsBackend(SmsBackend):
    idempotent = False

    def send(self, sms: OutgoingSms) -> str:
        if failures:
            raise failures.pop(0)
        if self.idempotent:
            for sent in outbox:
                if sent.key == sms.key:
                    return sent.provider_id
        provider_id = f"locmem-{next(_ids)}"
        outbox.append(
            SentSms(
                recipient=sms.recipient,
                text=sms.text,
                provider_id=provider_id,
                key=sms.key,
                template_code=sms.template_code,
                template_params=dict(sms.template_params),
            )
        )
        return provider_id
