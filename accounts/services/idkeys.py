"""Key rotation for the ID numbers at rest (accounts/idcrypt.py)."""

from dataclasses import dataclass

from django.db import transaction

from ..idcrypt import current_key_id, id_no_decrypt, id_no_digest, id_no_encrypt, key_id_of
from ..models import Candidate


@dataclass
class RotationResult:
    checked: int = 0
    rewritten: int = 0


def candidate_id_keys_rotate(*, batch_size: int = 1000, progress=None) -> RotationResult:
    """Re-encrypts every ID number not under the newest key of YISHEN_ID_KEYS, and refreshes
    every keyed hash that differs from YISHEN_ID_HASH_KEY's. Idempotent (a second run
    rewrites nothing) and safe beside live traffic: each batch is read with its rows locked
    and written in one transaction. A number under a key no longer configured raises
    idcrypt.IdKeyMissing before its batch is written."""
    result = RotationResult()
    current = current_key_id()
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                Candidate.objects.select_for_update()
                .filter(pk__gt=last)
                .exclude(id_no_cipher="")
                .order_by("pk")
                .only("pk", "id_no_cipher", "id_no_hash")[:batch_size]
            )
            if not rows:
                return result
            changed = []
            for row in rows:
                number = id_no_decrypt(row.id_no_cipher)
                digest = id_no_digest(number)
                if key_id_of(row.id_no_cipher) != current or row.id_no_hash != digest:
                    row.id_no_cipher = id_no_encrypt(number)
                    row.id_no_hash = digest
                    changed.append(row)
            Candidate.objects.bulk_update(changed, ["id_no_cipher", "id_no_hash"])
        result.checked += len(rows)
        result.rewritten += len(changed)
        last = rows[-1].pk
        if progress:
            progress(result)
