"""Test backend: keeps every message in `outbox`. Tests may queue errors in `failures`
(raised, in order, by the next sends) to exercise retries."""

import itertools
from dataclasses import dataclass

from . import SmsBackend

_ids = itertools.count(1)


@dataclass(frozen=True)
class SentSms:
    recipient: str
    text: str
    provider_id: str


outbox: list[SentSms] = []
failures: list[Exception] = []


def reset() -> None:
    outbox.clear()
    failures.clear()


class LocmemSmsBackend(SmsBackend):
    def send(self, recipient: str, text: str) -> str:
        if failures:
            raise failures.pop(0)
        provider_id = f"locmem-{next(_ids)}"
        outbox.append(SentSms(recipient=recipient, text=text, provider_id=provider_id))
        return provider_id
