"""Issuing, revoking and publishing Open Badges 3.0 credentials.

Every certificate gets its OpenBadgeCredential when it is issued (a certificate issued before
this existed gets it the first time it is asked for): signed once and stored, so every download
is the same document. URLs are built from BASE_URL, so the batch job can sign them too:

- the issuer's Profile:              BASE_URL/badges/issuers/<public id> (its Multikey inside)
- its revocation status list:        BASE_URL/badges/status/<public id>
- the achievement (level, standard): BASE_URL/badges/achievements/<code>"""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
import uuid
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certificates import signing
from certificates.models import Certificate, CertificateKind
from certificates.openbadges import loader, multibase, proof
from certificates.openbadges.models import STATUS_LIST_LENGTH, BadgeCredential, BadgeIssuer, StatusList
from registration.models import Event

SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
# Terms the stored contexts do not define, defined inline as 1EdTech's examples do: a term no
# context defines is dropped by canonicalization, so it would not be signed.
SCHEMA_TERM = {SCHEMA_TYPE: f"https://purl.imsglobal.org/spec/vc/ob/vocab.html#{SCHEMA_TYPE}"}
KEY_TERMS = {"verificationMethod": {"@id": "https://w3id.org/security#verificationMethod", "@type": "@id"},
             "assertionMethod": {"@id": "https://w3id.org/security#assertionMethod", "@type": "@id",
                                 "@container": "@set"}}
LEVELS = {"junior": ("初级", "Junior", "五级"), "intermediate": ("中级", "Intermediate", "四级"),
          "senior": ("高级", "Senior", "三级")}
SKILL = ("工业互联网系统运维", "Industrial Internet System Operation and Maintenance")
# A list is closed at half full, so that a random free index is found in a few tries and the
# indexes stay spread over the whole list.
FILL_LIMIT = STATUS_LIST_LENGTH // 2


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def issuer_url(issuer: BadgeIssuer) -> str:
    return f"{_base()}/badges/issuers/{issuer.public_id}"


def status_list_url(status_list: StatusList) -> str:
    return f"{_base()}/badges/status/{status_list.public_id}"


def achievement_url(code: str) -> str:
    return f"{_base()}/badges/achievements/{code}"


def public_key() -> Ed25519PublicKey:
    return signing.private_key().public_key()


def multikey(public: Ed25519PublicKey) -> str:
    return multibase.ed25519_multikey(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def verification_method(issuer: BadgeIssuer, public: Ed25519PublicKey) -> str:
    return f"{issuer_url(issuer)}#{multikey(public)}"


def _sign(document: dict, issuer: BadgeIssuer, *, created: datetime) -> dict:
    key = signing.private_key()
    options = proof.proof_options(verification_method=verification_method(issuer, key.public_key()), created=created)
    return proof.sign(document, key, options)


# --- the issuer --------------------------------------------------------------------------------


def issuer_named(session: Session, name: str, *, now: datetime) -> BadgeIssuer:
    """The issuer of that name, created the first time (two first issues at once, of two events
    with the same issuer: the unique name decides, and the loser reads the winner's row)."""
    issuer = session.scalar(select(BadgeIssuer).filter_by(name=name))
    if issuer is None:
        try:
            with session.begin_nested():
                issuer = BadgeIssuer(name=name, created_at=now)
                session.add(issuer)
        except IntegrityError:
            issuer = session.scalar(select(BadgeIssuer).filter_by(name=name))
    return issuer


def issuer_profile(issuer: BadgeIssuer) -> dict:
    """The issuer's Profile, with its public key as a Multikey verification method that
    credentials' proofs name (`verificationMethod` = this id + '#' + publicKeyMultibase)."""
    public = public_key()
    url = issuer_url(issuer)
    method = verification_method(issuer, public)
    return {
        "@context": [loader.VC_V2, loader.OB_V3, loader.MULTIKEY_V1, KEY_TERMS],
        "id": url, "type": ["Profile"], "name": issuer.name, "url": _base(),
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": url,
                                "publicKeyMultibase": multikey(public)}],
        "assertionMethod": [method],
    }


# --- status lists ------------------------------------------------------------------------------


def _empty_bits(length: int) -> bytes:
    return gzip.compress(bytes(length // 8), mtime=0)


def bit(status_list: StatusList, index: int) -> bool:
    data = gzip.decompress(status_list.bits)
    return bool(data[index // 8] & (0x80 >> (index % 8)))


def _set_bit(status_list: StatusList, index: int, value: bool, now: datetime) -> None:
    data = bytearray(gzip.decompress(status_list.bits))
    if value:
        data[index // 8] |= 0x80 >> (index % 8)
    else:
        data[index // 8] &= ~(0x80 >> (index % 8)) & 0xFF
    status_list.bits = gzip.compress(bytes(data), mtime=0)
    status_list.updated_at = now


def _open_list(session: Session, issuer: BadgeIssuer, now: datetime) -> StatusList:
    """The issuer's list that takes the next certificate, locked: indexes are taken one at a time
    (the unique constraint on (list, index) is the second guard)."""
    status_list = session.scalar(select(StatusList).where(StatusList.issuer_id == issuer.id,
                                                          StatusList.used < FILL_LIMIT)
                                 .order_by(StatusList.id).limit(1).with_for_update())
    if status_list is None:
        status_list = StatusList(issuer_id=issuer.id, length=STATUS_LIST_LENGTH, used=0,
                                 bits=_empty_bits(STATUS_LIST_LENGTH), created_at=now, updated_at=now)
        session.add(status_list)
        session.flush()
    return status_list


def _free_index(session: Session, status_list: StatusList) -> int:
    """A random index nobody has in this list (a list is at most half full: each try is free
    with a probability of at least 1/2)."""
    while True:
        index = secrets.randbelow(status_list.length)
        taken = session.scalar(select(BadgeCredential.id).where(BadgeCredential.status_list_id == status_list.id,
                                                                BadgeCredential.status_index == index))
        if taken is None:
            return index


def encoded_list(status_list: StatusList) -> str:
    """Multibase base64url (no padding) of the GZIP-compressed bitstring."""
    return "u" + base64.urlsafe_b64encode(status_list.bits).decode().rstrip("=")


def status_list_credential(status_list: StatusList) -> dict:
    """The published list, signed by its issuer; it is signed again, with the time of the last
    change, whenever a bit changes."""
    url = status_list_url(status_list)
    document = {
        "@context": [loader.VC_V2],
        "id": url, "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(status_list.issuer),
        "validFrom": proof.timestamp(status_list.updated_at),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encoded_list(status_list)},
    }
    return _sign(document, status_list.issuer, created=status_list.updated_at)


# --- credentials -------------------------------------------------------------------------------


def identity_hash(id_number: str, salt: str) -> str:
    """OB 3.0 IdentityHash: 'sha256$' + hex SHA-256 of the identifier followed by the salt."""
    return "sha256$" + hashlib.sha256((id_number.strip().upper() + salt).encode()).hexdigest()


def achievement_code(certificate: Certificate) -> str:
    if certificate.kind is CertificateKind.COMPETENCE:
        return f"iiom-{certificate.event.level.value}"
    return f"iiom-{certificate.event.public_id}-{certificate.title_en.lower().replace(' ', '-')}"  # …-first-prize


def achievement(certificate: Certificate, *, theory_pass: str = "60", practical_pass: str = "60") -> dict:
    """The achievement: the skill at the level of seed 002's skill standard (1.2-1.4), with its
    criteria and the two scored parts; for a competition, the prize of that event."""
    code = achievement_code(certificate)
    url = achievement_url(code)
    level = certificate.event.level.value
    zh, en, grade = LEVELS[level]
    standard = {
        "type": ["Alignment"], "targetName": f"{SKILL[0]}职业技能等级标准（{zh}）",
        "targetDescription": f"{SKILL[1]} skill standard, {en} level ({grade}): seed 002, 1.2-1.4",
        "targetFramework": f"{SKILL[0]}职业技能标准", "targetCode": f"IIOM-{level.upper()}",
        "targetUrl": f"{url}#standard",
    }
    parts = [
        {"id": f"{url}#theory", "type": ["ResultDescription"], "name": "理论知识考试 Theory examination",
         "resultType": "RawScore", "valueMin": "0", "valueMax": "100", "requiredValue": theory_pass},
        {"id": f"{url}#practical", "type": ["ResultDescription"], "name": "技能操作考核 Practical assessment",
         "resultType": "RawScore", "valueMin": "0", "valueMax": "100", "requiredValue": practical_pass},
    ]
    if certificate.kind is CertificateKind.COMPETENCE:
        return {
            "id": url, "type": ["Achievement"], "achievementType": "Certificate",
            "name": f"{SKILL[0]}职业能力证书（{zh}）",
            "description": f"{SKILL[0]}{zh}职业能力。{SKILL[1]}, vocational competence, {en} level.",
            "criteria": {"narrative": (
                f"理论知识考试与技能操作考核均合格（满分各100分，理论{theory_pass}分、操作{practical_pass}分及以上），"
                "成绩经公示无异议。Passed both the theory examination and the practical assessment "
                f"(each of 100 points; at least {theory_pass} and {practical_pass}) and the results' "
                "publicity ended without an upheld objection.")},
            "alignment": [standard], "resultDescription": parts, "fieldOfStudy": SKILL[1],
            "humanCode": f"IIOM-{level.upper()}", "inLanguage": "zh-Hans-CN",
        }
    return {
        "id": url, "type": ["Achievement"], "achievementType": "Award",
        "name": f"{certificate.event.name} {certificate.title}",
        "description": (f"{certificate.event.name}：{certificate.title}。"
                        f"{certificate.title_en}, {SKILL[1]} competition."),
        "criteria": {"narrative": "按理论与实操综合成绩排名获奖。Awarded by rank of the combined theory and practical "
                                  "score."},
        "alignment": [standard], "resultDescription": parts, "fieldOfStudy": SKILL[1], "inLanguage": "zh-Hans-CN",
    }


def _document(certificate: Certificate, row: BadgeCredential, issuer: BadgeIssuer, status_list: StatusList,
              rule=None) -> dict:
    passes = {"theory_pass": f"{rule.theory_pass:.0f}", "practical_pass": f"{rule.practical_pass:.0f}"} if rule else {}
    scores = certificate.scores or {}
    results = [{"type": ["Result"], "resultDescription": f"{achievement_url(achievement_code(certificate))}#{part}",
                "value": scores[part]} for part in ("theory", "practical") if scores.get(part) not in (None, "None")]
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "nationalIdentityNumber", "hashed": True,
             "identityHash": row.identity_hash, "salt": row.salt},
            {"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": certificate.holder_name},
        ],
        "achievement": achievement(certificate, **passes),
        "licenseNumber": certificate.number,
    }
    if results:
        subject["result"] = results
    document = {
        "@context": [loader.VC_V2, loader.OB_V3, SCHEMA_TERM],
        "id": f"urn:uuid:{row.uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{SKILL[0]} {certificate.title} {certificate.number}",
        "issuer": {"id": issuer_url(issuer), "type": ["Profile"], "name": issuer.name, "url": _base()},
        "validFrom": proof.timestamp(certificate.issued_at),
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{status_list_url(status_list)}#{row.status_index}", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": str(row.status_index),
            "statusListCredential": status_list_url(status_list)},
        "credentialSchema": [{"id": loader.OB_SCHEMA, "type": SCHEMA_TYPE}],
    }
    if certificate.expires_at is not None:
        document["validUntil"] = proof.timestamp(certificate.expires_at)
    return document


def credential_of(session: Session, *, certificate: Certificate, now: datetime, rule=None) -> BadgeCredential:
    """The certificate's credential, made and signed the first time it is needed (at issue, or
    for a certificate issued before Open Badges were). `rule` (the event's result rules) gives
    the pass marks the criteria state."""
    row = session.scalar(select(BadgeCredential).filter_by(certificate_id=certificate.id))
    if row is not None:
        return row
    issuer = issuer_named(session, certificate.issuer, now=now)
    status_list = _open_list(session, issuer, now)
    salt = secrets.token_hex(16)
    row = BadgeCredential(certificate_id=certificate.id, uuid=str(uuid.uuid4()), status_list_id=status_list.id,
                          status_index=_free_index(session, status_list), salt=salt,
                          identity_hash=identity_hash(certificate.registration.id_number, salt),
                          document={}, created_at=now)
    row.document = _sign(_document(certificate, row, issuer, status_list, rule), issuer, created=now)
    status_list.used += 1
    if certificate.revoked_at is not None:
        _set_bit(status_list, row.status_index, True, now)
    session.add(row)
    session.flush()
    return row


def revoke(session: Session, *, certificate: Certificate, now: datetime) -> None:
    """Sets the certificate's bit in its status list (the list is signed again when served)."""
    row = session.scalar(select(BadgeCredential).filter_by(certificate_id=certificate.id))
    if row is None:
        return  # made on first request, with the bit already set
    status_list = session.scalar(select(StatusList).filter_by(id=row.status_list_id).with_for_update())
    _set_bit(status_list, row.status_index, True, now)


def check(session: Session, document: dict) -> str:
    """'valid', 'revoked' or 'invalid': whether `document` is one of our credentials, its proof
    made with this installation's key over exactly these contents, and its status bit."""
    public = public_key()
    method = document["proof"].get("verificationMethod") if isinstance(document.get("proof"), dict) else None
    if not isinstance(method, str) or not method.endswith("#" + multikey(public)) or not proof.verify(document, public):
        return "invalid"
    row = session.scalar(select(BadgeCredential).filter_by(uuid=str(document.get("id", "")).removeprefix("urn:uuid:")))
    if row is None:
        return "invalid"
    return "revoked" if bit(row.status_list, row.status_index) else "valid"


def achievement_document(session: Session, code: str) -> dict | None:
    """The achievement published at its id (BASE_URL/badges/achievements/<code>) as the latest
    credential naming it states it (criteria and pass marks as issued); None when none does."""
    query = (select(BadgeCredential).join(Certificate, Certificate.id == BadgeCredential.certificate_id)
             .join(Event, Event.id == Certificate.event_id).order_by(BadgeCredential.id.desc()))
    level = code.removeprefix("iiom-")
    if level in LEVELS:
        query = query.where(Certificate.kind == CertificateKind.COMPETENCE, Event.level == level).limit(1)
    else:
        # iiom-<event public id>-first-prize: a public id may hold '-' too, so every prefix is a candidate
        public_ids = [level[:i] for i, char in enumerate(level) if char == "-"]
        if not public_ids:
            return None
        query = query.where(Certificate.kind == CertificateKind.AWARD, Event.public_id.in_(public_ids))
    url = achievement_url(code)
    for row in session.scalars(query):
        achievement = row.document.get("credentialSubject", {}).get("achievement", {})
        if achievement.get("id") == url:
            return {"@context": [loader.VC_V2, loader.OB_V3], **achievement}
    return None
