"""Test backend: keeps every message in `outbox`. Tests may queue errors in `failures`
(raised, in order, by the next sends) to exercise retries. With `idempotent` set it behaves
as a provider that deduplicates on the message key."""

import itertools
from dataclasses import dataclass

from . import SmsBackend

_ids = itertools.count(1)


@dataclass(frozen=True)
class SentSms:
    recipient: str
    text: str
    provider_id: str
    key: str = ""


outbox: list[SentSms] = []
failures: list[Exception] = []


def reset() -> None:
    outbox.clear()
    failures.clear()


class LocmemSmsBackend(SmsBackend):
    idempotent = False

    def send(self, recipient: str, text: str, *, key: str) -> str:
        if failures:
            raise failures.pop(0)
        if self.idempotent:
            for sent in outbox:
                if sent.key == key:
                    return sent.provider_id
        provider_id = f"locmem-{next(_ids)}"
        outbox.append(SentSms(recipient=recipient, text=text, provider_id=provider_id, key=key))
        return provider_id
