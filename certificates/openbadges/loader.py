"""The JSON-LD document loader: the contexts stored in contexts/, by their published URLs, and
nothing else. A document that names any other context fails to expand, so nothing is fetched at
run time and no credential can pull in a context we have not read."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pyld.jsonld import JsonLdError

FOLDER = Path(__file__).parent / "contexts"
SCHEMA_FOLDER = Path(__file__).parent / "schema"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"

CONTEXTS = {
    VC_V2: "credentials-v2.jsonld",  # W3C VC Data Model 2.0 (Recommendation)
    OB_V3: "ob-context-3.0.3.json",  # 1EdTech Open Badges 3.0
    MULTIKEY_V1: "multikey-v1.jsonld",  # W3C Controlled Identifiers, Multikey
}


@cache
def context(url: str) -> dict:
    return json.loads((FOLDER / CONTEXTS[url]).read_text(encoding="utf-8"))


@cache
def schema() -> dict:
    return json.loads((SCHEMA_FOLDER / "ob_v3p0_achievementcredential_schema.json").read_text(encoding="utf-8"))


def load(url: str, options=None) -> dict:
    """pyld's documentLoader."""
    if url not in CONTEXTS:
        raise JsonLdError(f"context {url} is not stored here (nothing is fetched at run time)",
                          "jsonld.LoadDocumentError", code="loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": context(url)}
