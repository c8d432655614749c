"""Offline verification: a certificate as a JSON document signed with Ed25519. The public key is
published at /.well-known/iiom-certificate-key.json; `flask certificates verify-cert FILE` checks a
document against it.

The private key comes from CERT_SIGNING_KEY_FILE (a PEM file that every host shares; default
instance/cert-signing-ed25519.pem). Outside production a missing key is generated once; production
refuses to sign without it."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from core.files import write_once

FORMAT = "iiom-certificate"


def _key_path() -> Path:
    configured = current_app.config.get("CERT_SIGNING_KEY_FILE")
    if configured:
        return Path(configured)
    return Path(current_app.instance_path) / "cert-signing-ed25519.pem"


def private_key() -> Ed25519PrivateKey:
    path = _key_path()
    if not path.exists():
        if not current_app.config.get("DEMO_DATA_ALLOWED"):  # production: the shared key must be there
            raise RuntimeError(f"the certificate signing key {path} does not exist")
        key = Ed25519PrivateKey.generate()  # two processes starting at once keep the first one's
        write_once(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(facts: dict) -> dict:
    key = private_key()
    public = key.public_key()
    return {"format": FORMAT, "certificate": facts, "key_id": key_id(public),
            "signature": base64.b64encode(key.sign(canonical(facts))).decode()}


def verify(document: dict, public: Ed25519PublicKey) -> bool:
    """True when the document's signature over its facts is valid for `public`."""
    try:
        if document.get("format") != FORMAT or document.get("key_id") != key_id(public):
            return False
        public.verify(base64.b64decode(document["signature"], validate=True), canonical(document["certificate"]))
        return True
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False


def load_public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key
