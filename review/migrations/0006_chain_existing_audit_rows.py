"""The audit rows written before the chain existed: each gets the name its actor has now
(the nearest there is to the name at the time) and its place in the hash chain, in id
order; then the chain head is made.

The digest below is a frozen copy of review.chain.row_digest (a migration must not follow
later changes of the app's code); both must give the same hash."""

import datetime as dt
import hashlib
import ipaddress
import json

from django.db import migrations

GENESIS = "0" * 64
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
BATCH = 2000


def _canonical(name, value):
    if value is None:
        return None
    if name == "created_at":
        return value.astimezone(dt.UTC).isoformat()
    if name == "ip_address":
        return ipaddress.ip_address(value).exploded
    if name == "data":
        return json.loads(json.dumps(value))
    return value


def row_digest(prev_hash, values):
    content = json.dumps(
        [_canonical(name, values[name]) for name in HASHED_FIELDS],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def chain_existing(apps, schema_editor):
    ReviewEvent = apps.get_model("review", "ReviewEvent")
    AuditChainHead = apps.get_model("review", "AuditChainHead")
    User = apps.get_model("auth", "User")
    names = {}
    actor_ids = ReviewEvent.objects.filter(actor__isnull=False).values_list("actor_id", flat=True)
    for user in User.objects.filter(pk__in=actor_ids.distinct().order_by()):
        full = f"{user.first_name} {user.last_name}".strip()
        names[user.pk] = (full or user.username)[:150]
    prev = GENESIS
    last_id = None
    while True:
        # Keyset batches, not a cursor held open over the table being written (SQLite).
        batch = list(
            ReviewEvent.objects.filter(pk__gt=last_id or 0)
            .order_by("pk")
            .only("pk", *(f.removesuffix("_id") for f in HASHED_FIELDS))[:BATCH]
        )
        if not batch:
            break
        for event in batch:
            if event.actor_id is not None and not event.actor_name:
                event.actor_name = names.get(event.actor_id, "")
            event.prev_hash = prev
            event.row_hash = row_digest(
                prev, {name: getattr(event, name) for name in HASHED_FIELDS}
            )
            prev = event.row_hash
        ReviewEvent.objects.bulk_update(batch, ["actor_name", "prev_hash", "row_hash"])
        last_id = batch[-1].pk
    AuditChainHead.objects.update_or_create(
        pk=1, defaults={"last_event_id": last_id, "last_hash": prev}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0005_audit_rows_chained_and_kept"),
    ]

    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
    ]
