"""The keys that protect ID numbers at rest (used by accounts/idcrypt.py), read from the
environment by the settings. Production gives them; the embedded default and the tests derive
them from SECRET_KEY. A malformed or short key stops start-up."""

import base64
import binascii
import hashlib
import hmac
import re

from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32  # AES-256-GCM
MIN_HASH_KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def _decode(value: str, *, name: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name}: not valid base64") from None


def keyring_parse(entries: list[str]) -> dict[str, bytes]:
    """YISHEN_ID_KEYS: "id:base64key" entries, newest first. The first key encrypts, every
    key decrypts (so that rows written under an older key stay readable until
    `manage.py rotate_id_keys` has re-encrypted them)."""
    keyring: dict[str, bytes] = {}
    for entry in entries:
        key_id, sep, encoded = entry.strip().partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                "YISHEN_ID_KEYS: each entry is KEY_ID:BASE64_KEY, the id 1-16 of A-Z a-z 0-9 _ -"
            )
        key = _decode(encoded, name="YISHEN_ID_KEYS")
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"YISHEN_ID_KEYS: key {key_id} has {len(key)} bytes, it must have {KEY_BYTES}"
            )
        if key_id in keyring:
            raise ImproperlyConfigured(f"YISHEN_ID_KEYS: key id {key_id} given twice")
        keyring[key_id] = key
    if not keyring:
        raise ImproperlyConfigured("YISHEN_ID_KEYS: at least one key is required")
    return keyring


def hash_key_parse(value: str) -> bytes:
    """YISHEN_ID_HASH_KEY: base64, at least 32 bytes (the HMAC key that finds a number)."""
    if not value.strip():
        raise ImproperlyConfigured("YISHEN_ID_HASH_KEY is required")
    key = _decode(value, name="YISHEN_ID_HASH_KEY")
    if len(key) < MIN_HASH_KEY_BYTES:
        raise ImproperlyConfigured(
            f"YISHEN_ID_HASH_KEY has {len(key)} bytes, it needs at least {MIN_HASH_KEY_BYTES}"
        )
    return key


def derived_key(secret_key: str, purpose: str) -> bytes:
    """A key derived from SECRET_KEY, for installations that give none (embedded default,
    tests): never used by production, which requires its own keys."""
    return hmac.new(secret_key.encode(), f"yishen:{purpose}".encode(), hashlib.sha256).digest()
