"""ID and phone numbers: encrypted at rest, found by keyed hash, shown masked.

Keys live in the instance secrets (COOP_DATA_DIR/secrets.json) and are set
once at start-up with `configure`. A full number is only ever decrypted for a
role that may see it, and the caller writes that reveal to the audit log.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_keys: dict[str, bytes] = {}


def configure(secrets: dict[str, str]) -> None:
    _keys["encryption"] = base64.urlsafe_b64decode(secrets["encryption_key"])
    _keys["hash"] = base64.urlsafe_b64decode(secrets["hash_key"])


def new_keys() -> dict[str, str]:
    return {
        "encryption_key": base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode(),
        "hash_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    }


@functools.cache
def _cipher(key: bytes) -> AESGCM:
    """One AESGCM object per key (making one costs more than decrypting a number)."""
    return AESGCM(key)


def encrypt(plain: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(_keys["encryption"]).encrypt(nonce, plain.encode(), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    raw = base64.urlsafe_b64decode(token)
    return _cipher(_keys["encryption"]).decrypt(raw[:12], raw[12:], None).decode()


def keyed_hash(kind: str, plain: str) -> str:
    """Equal numbers give equal hashes, but only with this instance's key."""
    return hmac.new(_keys["hash"], f"{kind}:{plain}".encode(), hashlib.sha256).hexdigest()


def mask_id(number: str) -> str:
    """500113199001010015 -> 500113********0015"""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(number: str) -> str:
    """13812341234 -> 138****1234"""
    return number[:3] + "****" + number[-4:]
