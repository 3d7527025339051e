"""ID numbers at rest. A number is stored as "KEY_ID:" + base64url(nonce ‖ AES-256-GCM
ciphertext and tag) under the newest key of settings.YISHEN_ID_KEYRING, and beside it as an
HMAC-SHA256 (settings.YISHEN_ID_HASH_KEY) of its normalised form, which is what every lookup
uses (search, matching): the database never compares or holds the number in clear.
`manage.py rotate_id_keys` re-encrypts rows under the newest key and refreshes the hashes."""

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE_BYTES = 12
# Bound into every ciphertext: a value copied into another column does not decrypt there.
_AAD = b"yishen:candidate.id_no"


class IdKeyMissing(LookupError):
    """A stored number was written under a key that is no longer in YISHEN_ID_KEYS."""


def normalise(value: str) -> str:
    """The form numbers are stored, hashed and compared in (as the entry stores them)."""
    return value.strip().upper()


def current_key_id() -> str:
    return next(iter(settings.YISHEN_ID_KEYRING))


def key_id_of(stored: str) -> str:
    return stored.partition(":")[0]


def id_no_encrypt(value: str) -> str:
    """The stored form of a number ("" stays "", as after a purge)."""
    if not value:
        return ""
    key_id = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(settings.YISHEN_ID_KEYRING[key_id]).encrypt(nonce, value.encode(), _AAD)
    return f"{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def id_no_decrypt(stored: str) -> str:
    """The number of a stored form. A tampered value raises cryptography's InvalidTag; one
    under a key no longer configured raises IdKeyMissing naming that key."""
    if not stored:
        return ""
    key_id, _sep, body = stored.partition(":")
    key = settings.YISHEN_ID_KEYRING.get(key_id)
    if key is None:
        raise IdKeyMissing(f"ID number encrypted under key {key_id!r}, not in YISHEN_ID_KEYS")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AAD).decode()


def id_no_digest(value: str) -> str:
    """The keyed hash that finds a number ("" for no number: it finds nothing)."""
    value = normalise(value)
    if not value:
        return ""
    return hmac.new(settings.YISHEN_ID_HASH_KEY, value.encode(), hashlib.sha256).hexdigest()
