"""The entry link from the registration system (报名系统).

    TOKEN = b64u(payload) + "." + b64u(HMAC-SHA256(secret, b64u(payload)))

`b64u` is base64url without padding; `payload` the UTF-8 JSON object the registration system
serialised (any key order, any whitespace: the signature covers the b64u text of exactly the
bytes it sent). docs/integration.md describes the format with a worked example.

This module only checks the token itself (signature, structure, time). The single use of the
nonce and the codes of province, site and category are checked by
accounts.services.candidate_enter, inside the transaction that writes the candidate."""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .enums import IdType

# An iat this far ahead of our clock is still accepted (the two systems' clocks drift).
CLOCK_SKEW_SECONDS = 60

# The registration data a link carries, named as the candidate's fields it sets (a later
# entry updates exactly these: accounts.services.entry).
REGISTRATION_FIELDS = ("name", "id_type", "id_no", "province", "site", "category", "tags")
REQUIRED_FIELDS = ("reg_no", "year", *REGISTRATION_FIELDS, "iat", "nonce")
# Every field of a registration record: the entry token's, and each record of a roster.
RECORD_FIELDS = ("reg_no", "year", *REGISTRATION_FIELDS)

_B64U = re.compile(r"^[A-Za-z0-9_-]+$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_REG_NO = re.compile(r"^[0-9A-Za-z-]{1,32}$")
_PROVINCE = re.compile(r"^\d{2}$")
_SITE = re.compile(r"^\d{4}$")
_CATEGORY = re.compile(r"^[0-9A-Za-z]{1,3}$")


class EntryRefusal:
    """Why an entry was refused: the code goes to the log, the status to the response."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REPLAYED = "replayed"
    UNKNOWN_PROVINCE = "unknown_province"
    UNKNOWN_SITE = "unknown_site"
    UNKNOWN_CATEGORY = "unknown_category"
    ENTRY_DISABLED = "entry_disabled"
    YEAR_PURGED = "year_purged"  # manage.py purge_exam_year has run for the year


class EntryTokenError(Exception):
    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class EntryClaims:
    reg_no: str
    year: int
    name: str
    id_type: str
    id_no: str
    province: str
    site: str
    category: str
    tags: tuple[str, ...]
    iat: int
    nonce: str


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    if not _B64U.match(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(signed_part: str, secret: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), signed_part.encode("ascii"), hashlib.sha256)
    return b64u_encode(digest.digest())


def sign_entry_token(payload: dict, secret: str) -> str:
    """What the registration system does (and the demo, tests and make_entry_link)."""
    body = b64u_encode(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    )
    return f"{body}.{_signature(body, secret)}"


def verify_entry_token(token: str, *, secret: str, now: float | None = None) -> dict:
    """The payload of a genuine, unexpired token, or EntryTokenError. The signature is
    checked before anything in the payload is read."""
    if not isinstance(token, str) or len(token) > 4096 or token.count(".") != 1:
        raise EntryTokenError(EntryRefusal.MALFORMED, "not two parts")
    body, signature = token.split(".")
    if not body or not signature or not _B64U.match(body):
        raise EntryTokenError(EntryRefusal.MALFORMED, "not base64url")
    if not hmac.compare_digest(_signature(body, secret), signature):
        raise EntryTokenError(EntryRefusal.BAD_SIGNATURE)
    try:
        payload = json.loads(b64u_decode(body).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise EntryTokenError(EntryRefusal.MALFORMED, "payload is not UTF-8 JSON") from exc
    _check_fields(payload)
    now = time.time() if now is None else now
    lifetime = settings.YISHEN_ENTRY_TOKEN_SECONDS
    if payload["iat"] > now + CLOCK_SKEW_SECONDS:
        raise EntryTokenError(EntryRefusal.NOT_YET_VALID, f"iat {payload['iat']} > now {now:.0f}")
    if now - payload["iat"] > lifetime:
        raise EntryTokenError(EntryRefusal.EXPIRED, f"iat {payload['iat']}, now {now:.0f}")
    return payload


def _check_fields(payload) -> None:
    def bad(field: str) -> EntryTokenError:
        return EntryTokenError(EntryRefusal.MALFORMED, f"field {field!r}")

    if not isinstance(payload, dict):
        raise EntryTokenError(EntryRefusal.MALFORMED, "payload is not an object")
    for field in ("iat", "nonce"):
        if field not in payload:
            raise bad(field)
    problem = registration_field_problem(payload)
    if problem is not None:
        raise bad(problem)
    if not isinstance(payload["iat"], int) or isinstance(payload["iat"], bool):
        raise bad("iat")
    if not isinstance(payload["nonce"], str) or not _NONCE.match(payload["nonce"]):
        raise bad("nonce")


def _tags_ok(tags) -> bool:
    return (
        isinstance(tags, list)
        and len(tags) <= 20
        and all(isinstance(t, str) and t.strip() and len(t) <= 32 for t in tags)
    )


# What each registration field must be (the table «Payload fields» of docs/integration.md).
_FIELD_RULES = {
    "reg_no": lambda v: isinstance(v, str) and bool(_REG_NO.match(v)),
    "year": lambda v: isinstance(v, int) and not isinstance(v, bool) and 2000 <= v <= 2100,
    "name": lambda v: isinstance(v, str) and bool(v.strip()) and len(v) <= 64,
    "id_type": lambda v: isinstance(v, str) and v in IdType.values,
    "id_no": lambda v: isinstance(v, str) and bool(v.strip()) and len(v) <= 32,
    "province": lambda v: isinstance(v, str) and bool(_PROVINCE.match(v)),
    "site": lambda v: isinstance(v, str) and bool(_SITE.match(v)),
    "category": lambda v: isinstance(v, str) and bool(_CATEGORY.match(v)),
    "tags": _tags_ok,
}


def registration_field_problems(record: dict) -> list[str]:
    """Each registration field (RECORD_FIELDS, in their order) that `record` lacks or gives
    in a form we do not accept: the one check for entry tokens and roster records."""
    return [f for f in RECORD_FIELDS if f not in record or not _FIELD_RULES[f](record[f])]


def registration_field_problem(record: dict) -> str | None:
    """The first of registration_field_problems, or None."""
    problems = registration_field_problems(record)
    return problems[0] if problems else None


def claims_from_payload(payload: dict) -> EntryClaims:
    """The verified payload, normalised (tags deduplicated in their order, names trimmed)."""
    return EntryClaims(
        **registration_normalised(payload), iat=payload["iat"], nonce=payload["nonce"]
    )


def registration_normalised(record: dict) -> dict:
    """The registration fields of a checked record as stored: name trimmed, ID number in
    capitals, tags trimmed and deduplicated in their order."""
    tags: list[str] = []
    for tag in record["tags"]:
        tag = tag.strip()
        if tag not in tags:
            tags.append(tag)
    return {
        "reg_no": record["reg_no"],
        "year": record["year"],
        "name": record["name"].strip(),
        "id_type": record["id_type"],
        "id_no": record["id_no"].strip().upper(),
        "province": record["province"],
        "site": record["site"],
        "category": record["category"],
        "tags": tuple(tags),
    }


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def payload_for_candidate(candidate, *, iat: int | None = None, nonce: str | None = None) -> dict:
    """The payload the registration system would send for a candidate we already know
    (make_entry_link, the demo registration page, tests)."""
    return {
        "reg_no": candidate.reg_no,
        "year": candidate.exam_year.year,
        "name": candidate.name,
        "id_type": candidate.id_type,
        "id_no": candidate.id_no,
        "province": candidate.province.code,
        "site": candidate.site.code,
        "category": candidate.category.code,
        "tags": list(candidate.tags or []),
        "iat": int(time.time()) if iat is None else iat,
        "nonce": nonce or new_nonce(),
    }


# The Chinese page for each refusal, and its status.
REFUSAL_PAGES = {
    EntryRefusal.MALFORMED: (400, _("链接不完整或已损坏")),
    EntryRefusal.BAD_SIGNATURE: (403, _("链接无效")),
    EntryRefusal.EXPIRED: (403, _("链接已过期")),
    EntryRefusal.NOT_YET_VALID: (403, _("链接尚未生效")),
    EntryRefusal.REPLAYED: (409, _("链接已使用过")),
    EntryRefusal.UNKNOWN_PROVINCE: (400, _("报名信息无法识别")),
    EntryRefusal.UNKNOWN_SITE: (400, _("报名信息无法识别")),
    EntryRefusal.UNKNOWN_CATEGORY: (400, _("报名信息无法识别")),
    EntryRefusal.ENTRY_DISABLED: (403, _("本考区尚未开放在线审核")),
    EntryRefusal.YEAR_PURGED: (403, _("该年度的在线审核已结束")),
}
