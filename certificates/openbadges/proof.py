"""The eddsa-rdfc-2022 cryptosuite of W3C Data Integrity (VC-DI-EDDSA, 3.3): the document
without its proof and the proof's options (with the document's @context, without proofValue)
are each canonicalized with RDFC-1.0 (URDNA2015) to N-Quads; the data signed with Ed25519 is
SHA-256(canonical proof options) followed by SHA-256(canonical document); proofValue is the
signature in multibase base58btc."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from certificates.openbadges import loader, multibase

CRYPTOSUITE = "eddsa-rdfc-2022"


def canonize(document: dict) -> str:
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": loader.load})


def proof_options(*, verification_method: str, created: datetime | str) -> dict:
    if isinstance(created, datetime):
        created = timestamp(created)
    return {"type": "DataIntegrityProof", "created": created, "verificationMethod": verification_method,
            "cryptosuite": CRYPTOSUITE, "proofPurpose": "assertionMethod"}


def timestamp(moment: datetime) -> str:
    """XML Schema dateTime in UTC, to the second: 2026-12-02T14:30:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hash_data(document: dict, options: dict) -> bytes:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in options.items() if k != "proofValue"}
    config["@context"] = copy.deepcopy(document["@context"])
    return (hashlib.sha256(canonize(config).encode()).digest()
            + hashlib.sha256(canonize(unsecured).encode()).digest())


def sign(document: dict, key: Ed25519PrivateKey, options: dict) -> dict:
    """The document with its proof."""
    proof = dict(options)
    proof["proofValue"] = multibase.encode(key.sign(hash_data(document, options)))
    return {**{k: v for k, v in document.items() if k != "proof"}, "proof": proof}


def verify(document: dict, public: Ed25519PublicKey) -> bool:
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("type") != "DataIntegrityProof" \
            or proof.get("cryptosuite") != CRYPTOSUITE or proof.get("proofPurpose") != "assertionMethod":
        return False
    try:
        signature = multibase.decode(proof["proofValue"])
        public.verify(signature, hash_data(document, proof))
    except (InvalidSignature, KeyError, TypeError, ValueError, jsonld.JsonLdError):
        return False
    return True
