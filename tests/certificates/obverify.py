"""An independent verifier of Open Badges 3.0 credentials for the tests: eddsa-rdfc-2022 proofs
and Bitstring Status Lists checked with pyld, cryptography and the contexts stored in the
repository, and nothing of the project's own signing code (no import from certificates/)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import jsonld

CONTEXTS = Path(__file__).resolve().parents[2] / "certificates" / "openbadges" / "contexts"
FILES = {"https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
         "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
         "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld"}
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _loader(url, options=None):
    if url not in FILES:
        raise jsonld.JsonLdError(f"unknown context {url}", "jsonld.LoadDocumentError")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads((CONTEXTS / FILES[url]).read_text())}


def canonical(document: dict) -> bytes:
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": _loader}).encode()


def _b58(text: str) -> bytes:
    n = 0
    for c in text:
        n = n * 58 + B58.index(c)
    return b"\0" * (len(text) - len(text.lstrip("1"))) + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")


def key_of(multikey: str) -> Ed25519PublicKey:
    assert multikey.startswith("z")
    raw = _b58(multikey[1:])
    assert raw[:2] == b"\xed\x01" and len(raw) == 34
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def proof_holds(document: dict, public: Ed25519PublicKey) -> bool:
    proof = document["proof"]
    if proof["type"] != "DataIntegrityProof" or proof["cryptosuite"] != "eddsa-rdfc-2022":
        return False
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    body = {k: v for k, v in document.items() if k != "proof"}
    data = hashlib.sha256(canonical(config)).digest() + hashlib.sha256(canonical(body)).digest()
    try:
        public.verify(_b58(proof["proofValue"][1:]), data)
    except (InvalidSignature, ValueError):
        return False
    return proof["proofValue"].startswith("z")


def issuer_key(document: dict, fetch) -> Ed25519PublicKey:
    """The key the proof names, from its controller's document, which must list it as an
    assertion method and be the credential's issuer."""
    method = document["proof"]["verificationMethod"]
    controller = fetch(method.split("#")[0])
    issuer = document["issuer"]["id"] if isinstance(document["issuer"], dict) else document["issuer"]
    assert controller["id"] == issuer, "the proof's key is not the issuer's"
    assert method in controller["assertionMethod"]
    (entry,) = [m for m in controller["verificationMethod"] if m["id"] == method]
    assert entry["type"] == "Multikey" and entry["controller"] == issuer
    return key_of(entry["publicKeyMultibase"])


def verify(document: dict, fetch) -> dict:
    """{'proof': bool, 'revoked': bool | None}; `fetch(url)` returns the JSON published at url."""
    result = {"proof": proof_holds(document, issuer_key(document, fetch)), "revoked": None}
    status = document.get("credentialStatus")
    if status:
        assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
        listed = fetch(status["statusListCredential"])
        assert proof_holds(listed, issuer_key(listed, fetch)), "the status list's proof fails"
        assert listed["issuer"] == (document["issuer"]["id"])
        encoded = listed["credentialSubject"]["encodedList"]
        assert encoded.startswith("u")
        bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
        assert len(bits) * 8 >= 131_072
        index = int(status["statusListIndex"])
        result["revoked"] = bool(bits[index // 8] & (0x80 >> (index % 8)))
    return result


def unsigned_terms(document: dict) -> list[str]:
    """Paths of the fields that JSON-LD processing drops or rewrites (a term no context defines):
    canonicalization leaves them out, so a proof does not cover them."""
    body = {k: v for k, v in document.items() if k != "proof"}
    options = {"documentLoader": _loader}
    round_trip = jsonld.compact(jsonld.expand(body, options), {"@context": body["@context"]}, options)
    out = []

    def walk(a, b, path):
        if isinstance(a, dict):
            for k, v in a.items():
                if k == "@context":
                    continue
                if not isinstance(b, dict) or k not in b:
                    out.append(f"{path}/{k}")
                else:
                    walk(v, b[k], f"{path}/{k}")
        elif isinstance(a, list):
            others = b if isinstance(b, list) else [b]
            for i, x in enumerate(a):
                walk(x, others[i] if i < len(others) else None, f"{path}[{i}]")
        elif a != b:
            out.append(path)

    walk(body, round_trip, "")
    return out
