"""The hash chain of the audit trail (review.models.ReviewEvent), as plain functions.

Each row stores `prev_hash`, the `row_hash` of the row before it (GENESIS for the first),
and its own `row_hash` = SHA-256 of `prev_hash` and the row's content in a canonical form.
Changing, removing or inserting a row anywhere breaks the link to the row after it; the
chain head (review.models.AuditChainHead) holds the last hash, so that removing the last
rows is seen too. `manage.py audit_verify` walks the chain with `first_break`.

The migration that chained the rows written before the chain existed
(review/migrations/0006_chain_existing_audit_rows.py) holds a frozen copy of `row_digest`:
changing the form here breaks every chain already written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64

# What a row's hash covers, in this order: everything the row says except its id (given by
# the database after the hash is made) and the two hashes themselves.
HASHED_FIELDS = (
    "candidate_id",
    "image_id",
    "actor_kind",
    "actor_id",
    "actor_name",
    "role",
    "action",
    "from_status",
    "to_status",
    "data",
    "ip_address",
    "created_at",
)


def ip_normalised(value: str | None) -> str | None:
    """The address as stored, or None for none or one that is not an IP address."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


def _canonical(name: str, value):
    if value is None:
        return None
    if name == "created_at":
        return value.astimezone(dt.UTC).isoformat()
    if name == "ip_address":
        # PostgreSQL's inet prints some IPv6 forms differently than they were written.
        return ipaddress.ip_address(value).exploded
    if name == "data":
        # As the JSON column gives it back (tuples become lists, keys strings).
        return json.loads(json.dumps(value))
    return value


def row_digest(prev_hash: str, values: Mapping) -> str:
    """SHA-256 (hex) of the previous row's hash and this row's HASHED_FIELDS."""
    content = json.dumps(
        [_canonical(name, values[name]) for name in HASHED_FIELDS],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first link of the chain that does not hold."""

    row_id: int | None  # None: the chain head does not match the last row
    reason: str  # PREV, CONTENT or HEAD


PREV = "prev"  # the row's prev_hash is not the hash of the row before it
CONTENT = "content"  # the row's content does not give its row_hash
HEAD = "head"  # the chain head's hash is not the last row's


@dataclass(frozen=True)
class Walk:
    rows: int
    last_hash: str
    broken: Break | None


def first_break(rows: Iterable[Mapping], *, head_hash: str | None) -> Walk:
    """Walks `rows` (dicts with id, prev_hash, row_hash and HASHED_FIELDS, in id order) and
    returns the first link that does not hold, if any. `head_hash`: what the chain head
    says the last hash is (None: no head)."""
    expected_prev = GENESIS
    count = 0
    for row in rows:
        count += 1
        if row["prev_hash"] != expected_prev:
            return Walk(count, expected_prev, Break(row["id"], PREV))
        if row_digest(row["prev_hash"], row) != row["row_hash"]:
            return Walk(count, expected_prev, Break(row["id"], CONTENT))
        expected_prev = row["row_hash"]
    if head_hash is not None and head_hash != expected_prev:
        return Walk(count, expected_prev, Break(None, HEAD))
    return Walk(count, expected_prev, None)
