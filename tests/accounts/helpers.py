"""Entry tokens for tests: what the registration system would send."""

import time

from django.conf import settings

from accounts.entry import new_nonce, payload_for_candidate, sign_entry_token


def entry_payload(*, province, site, category, **overrides) -> dict:
    payload = {
        "reg_no": "260370000001",
        "year": 2026,
        "name": "张三",
        "id_type": "id_card",
        "id_no": "370102199001011234",
        "province": province.code,
        "site": site.code,
        "category": category.code,
        "tags": ["应届毕业生"],
        "iat": int(time.time()),
        "nonce": new_nonce(),
    }
    payload.update(overrides)
    return payload


def entry_url(payload: dict, *, secret: str | None = None) -> str:
    return "/entry/?t=" + sign_entry_token(payload, secret or settings.YISHEN_ENTRY_SECRET)


def candidate_entry_url(candidate, **overrides) -> str:
    payload = payload_for_candidate(candidate)
    payload.update(overrides)
    return entry_url(payload)
