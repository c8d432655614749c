"""Open Badges 3.0: 1EdTech's test vectors reproduced byte for byte; every issued certificate's
OpenBadgeCredential validates with the OB 3.0 JSON schema and verifies with an independent
verifier (tests/certificates/obverify.py: pyld, cryptography and the stored contexts only);
revocation shows in the signed status list; a changed field fails the proof; the baked PNG
carries the same credential."""

import base64
import copy
import gzip
import hashlib
import io
import json
from pathlib import Path

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from PIL import Image
from sqlalchemy import delete, select

from certificates import services
from certificates.openbadges import loader, multibase, proof
from certificates.openbadges.models import BadgeCredential, StatusList
from core import clock
from tests.certificates import obverify
from tests.certificates.test_certificates import issue_all

VECTORS = Path(__file__).parent / "vectors" / "obv3p0"
SCHEMA = (Path(__file__).resolve().parents[2] / "certificates" / "openbadges" / "schema"
          / "ob_v3p0_achievementcredential_schema.json")


def vector():
    return json.loads((VECTORS / "vector.json").read_text())


def test_1edtech_vectors_reproduce_byte_for_byte():
    v = vector()
    document = proof.canonize(v["credential"])
    assert document.encode() == (VECTORS / "document-canon.txt").read_bytes()
    options = {k: x for k, x in v["proof"].items() if k != "proofValue"}
    config = dict(options, **{"@context": v["credential"]["@context"]})
    assert proof.canonize(config).encode() == (VECTORS / "proof-canon.txt").read_bytes()
    data = proof.hash_data(v["credential"], options)
    assert data.hex() == v["proofHashHex"] + v["documentHashHex"]
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(v["privateKeyHex"])[:32])
    assert key.sign(data).hex() == v["signatureHex"]
    signed = proof.sign(v["credential"], key, options)
    assert signed["proof"] == v["proof"]  # proofValue z5x9aCBY… as 1EdTech published it
    public = bytes.fromhex(v["publicKeyHex"])
    assert multibase.ed25519_multikey(public) == v["publicKeyMultibase"]
    assert multibase.ed25519_from_multikey(v["publicKeyMultibase"]) == public
    # and the independent verifier agrees, on 1EdTech's own signed credential
    published = dict(v["credential"], proof=v["proof"])
    assert obverify.proof_holds(published, Ed25519PublicKey.from_public_bytes(public))
    changed = copy.deepcopy(published)
    changed["credentialSubject"]["achievement"]["name"] = "Teamwork!"
    assert not obverify.proof_holds(changed, Ed25519PublicKey.from_public_bytes(public))


def test_the_loader_fetches_nothing():
    import pytest
    from pyld.jsonld import JsonLdError

    with pytest.raises(JsonLdError):
        proof.canonize({"@context": ["https://www.w3.org/ns/credentials/v2", "https://example.com/evil.jsonld"],
                        "type": ["VerifiableCredential"]})


def _fetch(client):
    def fetch(url):
        assert url.startswith("http://localhost/"), url
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200, url
        return response.get_json()
    return fetch


def _validator():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())


def test_issued_credentials_validate_verify_and_revoke(app, client, db, panel, final_results, frozen_clock):
    with app.test_request_context():
        certs = issue_all(db, final_results, panel["admin"])
        tokens = [services.token(c) for c in certs]
    validator = _validator()
    fetch = _fetch(client)
    documents = []
    for cert, token in zip(certs, tokens, strict=True):
        response = client.get(f"/verify/{token}/badge.json")
        assert response.status_code == 200 and response.mimetype == "application/ld+json"
        document = response.get_json()
        documents.append(document)
        assert not list(validator.iter_errors(document)), list(validator.iter_errors(document))
        assert obverify.verify(document, fetch) == {"proof": True, "revoked": False}
        assert obverify.unsigned_terms(document) == []  # every field is defined, so signed
        assert client.get(f"/verify/{token}/badge.json").get_json() == document  # stored: the same each time
        registration = cert.registration
        text = json.dumps(document, ensure_ascii=False)
        assert registration.id_number not in text  # never in clear
        (hashed, name) = document["credentialSubject"]["identifier"]
        assert hashed["identityHash"] == "sha256$" + hashlib.sha256(
            (registration.id_number + hashed["salt"]).encode()).hexdigest()
        assert name == {"type": "IdentityObject", "identityType": "name", "hashed": False,
                        "identityHash": cert.holder_name}
        results = {r["resultDescription"].rsplit("#", 1)[1]: r["value"]
                   for r in document["credentialSubject"]["result"]}
        assert results == {"theory": cert.scores["theory"], "practical": cert.scores["practical"]}
        achievement = document["credentialSubject"]["achievement"]
        assert achievement["alignment"][0]["targetName"] == "工业互联网系统运维职业技能等级标准（中级）"
        assert "60" in achievement["criteria"]["narrative"]
        assert document["validFrom"] == cert.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert document["credentialSubject"]["licenseNumber"] == cert.number
    achievement = documents[0]["credentialSubject"]["achievement"]
    published = fetch(achievement["id"])  # the achievement resolves, as issued
    assert {k: v for k, v in published.items() if k != "@context"} == achievement
    assert fetch(achievement["alignment"][0]["targetUrl"].split("#")[0]) == published
    assert obverify.unsigned_terms(published) == []
    assert client.get("/badges/achievements/iiom-senior").status_code == 404  # nobody holds one
    assert client.get("/badges/achievements/nonsense").status_code == 404
    profile = fetch(documents[0]["issuer"]["id"])
    assert obverify.unsigned_terms(profile) == []
    assert profile["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
    status = [d["credentialStatus"] for d in documents]
    assert status[0]["statusListCredential"] == status[1]["statusListCredential"]  # one list per issuer
    assert status[0]["statusListIndex"] != status[1]["statusListIndex"]

    changed = copy.deepcopy(documents[0])
    changed["credentialSubject"]["result"][0]["value"] = "99.00"
    assert obverify.verify(changed, fetch)["proof"] is False
    renamed = copy.deepcopy(documents[0])
    renamed["credentialSubject"]["identifier"][1]["identityHash"] = "王五"
    assert obverify.verify(renamed, fetch)["proof"] is False

    services.revoke(db.session, certificate=certs[0], reason="证书信息有误", actor=panel["admin"], now=clock.now())
    db.session.commit()
    assert obverify.verify(documents[0], fetch) == {"proof": True, "revoked": True}
    assert obverify.verify(documents[1], fetch) == {"proof": True, "revoked": False}

    png = client.get(f"/verify/{tokens[1]}/badge.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    assert image.format == "PNG" and json.loads(image.text["openbadgecredential"]) == documents[1]


def test_status_list_is_long_signed_and_random(app, client, db, panel, final_results, frozen_clock):
    with app.test_request_context():
        cert = issue_all(db, final_results, panel["admin"])[0]
        token = services.token(cert)
    document = client.get(f"/verify/{token}/badge.json").get_json()
    listed = _fetch(client)(document["credentialStatus"]["statusListCredential"])
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert obverify.proof_holds(listed, obverify.issuer_key(listed, _fetch(client)))
    forged = copy.deepcopy(listed)
    bits = bytearray(16_384)
    bits[0] = 0x80  # index 0 revoked: a list the issuer did not sign
    forged["credentialSubject"]["encodedList"] = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits))).decode()
    assert forged["credentialSubject"]["encodedList"] != listed["credentialSubject"]["encodedList"]
    assert not obverify.proof_holds(forged, obverify.issuer_key(listed, _fetch(client)))
    status_list = db.session.scalar(select(StatusList))
    assert status_list.length >= 131_072
    row = db.session.scalar(select(BadgeCredential).filter_by(certificate_id=cert.id))
    assert 0 <= row.status_index < status_list.length and str(row.status_index) == \
        document["credentialStatus"]["statusListIndex"]
    assert loader.OB_SCHEMA in json.dumps(document)


def test_certificates_issued_before_get_their_badge_on_first_download(app, client, db, panel, final_results,
                                                                      frozen_clock, login_as):
    from accounts import services as accounts
    from tests.conftest import PASSWORD

    with app.test_request_context():
        cert = issue_all(db, final_results, panel["admin"])[0]
        token = services.token(cert)
    services.revoke(db.session, certificate=cert, reason="遗失补发", actor=panel["admin"], now=clock.now())
    db.session.execute(delete(BadgeCredential))  # as if issued before Open Badges existed
    db.session.commit()
    holder = cert.registration.user
    accounts.set_password(db.session, user=holder, password=PASSWORD, by_admin=False)
    db.session.commit()
    assert client.get(f"/certificates/{cert.public_id}/badge.json").status_code == 302  # sign in first
    client.submit("/login", {"username": holder.username, "password": PASSWORD})
    mine = client.get("/my-results").get_data(as_text=True)
    assert f"/certificates/{cert.public_id}/badge.json" in mine and f"/certificates/{cert.public_id}/badge.png" in mine
    document = client.get(f"/certificates/{cert.public_id}/badge.json").get_json()
    assert obverify.verify(document, _fetch(client)) == {"proof": True, "revoked": True}  # made with its bit set
    assert client.get(f"/verify/{token}/badge.json").get_json() == document
    client.submit("/logout")
    login_as("candidate")
    assert client.get(f"/certificates/{cert.public_id}/badge.json").status_code == 403  # not theirs
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert f"/verify/{token}/badge.json" in page


def test_every_credential_the_demo_issues_validates_and_verifies(runner, db, client):
    result = runner.invoke(args=["core", "load-demo"])
    assert result.exit_code == 0, result.output
    rows = db.session.scalars(select(BadgeCredential)).all()
    assert rows  # the demo's certified candidate has one
    validator = _validator()
    for row in rows:
        assert not list(validator.iter_errors(row.document))
        assert obverify.verify(row.document, _fetch(client)) == {"proof": True, "revoked": False}
        assert obverify.unsigned_terms(row.document) == []


def test_verify_badge_command(app, runner, client, db, panel, final_results, frozen_clock, tmp_path):
    with app.test_request_context():
        cert = issue_all(db, final_results, panel["admin"])[0]
        token = services.token(cert)
    (tmp_path / "badge.json").write_bytes(client.get(f"/verify/{token}/badge.json").data)
    (tmp_path / "badge.png").write_bytes(client.get(f"/verify/{token}/badge.png").data)
    for name in ("badge.json", "badge.png"):
        result = runner.invoke(args=["certificates", "verify-badge", str(tmp_path / name)])
        assert result.exit_code == 0 and f"VALID: {cert.number}" in result.output, result.output
    document = json.loads((tmp_path / "badge.json").read_text())
    document["credentialSubject"]["result"][1]["value"] = "100.00"
    (tmp_path / "changed.json").write_text(json.dumps(document, ensure_ascii=False))
    result = runner.invoke(args=["certificates", "verify-badge", str(tmp_path / "changed.json")])
    assert result.exit_code != 0 and "INVALID" in result.output
    (tmp_path / "junk.json").write_text("[1, 2")
    result = runner.invoke(args=["certificates", "verify-badge", str(tmp_path / "junk.json")])
    assert result.exit_code != 0 and "not an Open Badges credential" in result.output
    services.revoke(db.session, certificate=cert, reason="证书信息有误", actor=panel["admin"], now=clock.now())
    db.session.commit()
    result = runner.invoke(args=["certificates", "verify-badge", str(tmp_path / "badge.png")])
    assert result.exit_code != 0 and "REVOKED" in result.output


def test_award_certificates_are_badges_too(app, client, db, panel, final_results, frozen_clock):
    from registration.models import EventKind

    event = panel["scheme"].event
    event.kind = EventKind.COMPETITION
    final_results[0].award, final_results[2].award = 1, 2
    db.session.commit()
    with app.test_request_context():
        certs = [services.issue(db.session, result=r, actor=panel["admin"], now=clock.now())
                 for r in (final_results[0], final_results[2])]
        db.session.commit()
        tokens = [services.token(c) for c in certs]
    validator, fetch = _validator(), _fetch(client)
    names = set()
    for cert, token in zip(certs, tokens, strict=True):
        document = client.get(f"/verify/{token}/badge.json").get_json()
        assert not list(validator.iter_errors(document))
        assert obverify.verify(document, fetch) == {"proof": True, "revoked": False}
        achievement = document["credentialSubject"]["achievement"]
        assert achievement["achievementType"] == "Award" and cert.title in achievement["name"]
        assert fetch(achievement["id"])["name"] == achievement["name"]
        names.add(achievement["id"])
    assert len(names) == 2  # first and second prize are two achievements
