"""The sealed paper of a synchronized start: the waiting room holds the candidate's paper encrypted
with the hall's key (AES-256-GCM), and the key is handed out at the start, so 3,000 candidates
pressing nothing at 9:00:00 cost the server one tiny response each. The page decrypts with
WebCrypto (crypto.subtle: AES-GCM, a 12-byte IV, the 16-byte tag after the ciphertext, the attempt's
public id as additional data, so a sealed paper cannot be swapped for another's)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A hall's paper key: 256 random bits, base64url (43 characters)."""
    return _b64(secrets.token_bytes(32))


def seal(text: str, key: str, *, bound_to: str) -> dict:
    """`text` encrypted with `key`, bound to `bound_to` (authenticated, not encrypted)."""
    iv = os.urandom(12)
    data = AESGCM(_unb64(key)).encrypt(iv, text.encode(), bound_to.encode())
    return {"iv": _b64(iv), "data": _b64(data), "alg": "AES-GCM"}


def unseal(box: dict, key: str, *, bound_to: str) -> str:
    """The text of a sealed box (raises cryptography's InvalidTag for a wrong key or binding)."""
    return AESGCM(_unb64(key)).decrypt(_unb64(box["iv"]), _unb64(box["data"]), bound_to.encode()).decode()


def key_token(secret: str, hall: str) -> str:
    """What the waiting room sends to ask for `hall`'s key: proves the page came from the platform,
    so that nobody can probe halls for keys, without a session or a database read."""
    return hmac.new(secret.encode(), f"hall-key:{hall}".encode(), hashlib.sha256).hexdigest()[:32]
