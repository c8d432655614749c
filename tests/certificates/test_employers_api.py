"""The employers' JSON API (issue 17): GET /api/v1/certificates/verify?number=…&name=… with an API
key answers what the verify page shows; wrong, missing and revoked keys, spent allowances and bad
parameters get a JSON error with a stable code, in the request's language, and change nothing."""

from __future__ import annotations

from sqlalchemy import select

from certificates import rules, services
from certificates.employers import services as employers
from certificates.employers.models import ApiKey
from core import clock
from core.audit import AuditLog
from tests.certificates.employers_support import logged

URL = "/api/v1/certificates/verify"


def _get(client, secret=None, *, number=None, name=None, header="bearer", address="198.51.100.7", **extra):
    params = {k: v for k, v in (("number", number), ("name", name)) if v is not None}
    headers = dict(extra.pop("headers", {}))
    if secret is not None:
        headers.update({"Authorization": f"Bearer {secret}"} if header == "bearer" else {"X-API-Key": secret})
    return client.get(URL, query_string={**params, **extra}, headers=headers, environ_base={"REMOTE_ADDR": address})


def _unknown_number(number: str) -> str:
    """A well-formed number (its check character right) that no certificate has."""
    body = number[:-6] + "99999"
    return body + rules.check_character(body)


def test_a_valid_certificate_is_answered_as_the_verify_page_states_it(app, client, db, issued, make_key):
    certificate = issued[0]
    key, secret = make_key()
    response = _get(client, secret, number=certificate.number.lower(), name=f" {certificate.holder_name} ")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["status"] == "valid" and body["status_label"] == "有效"
    assert body["number"] == certificate.number and body["holder_name"] == certificate.holder_name
    assert body["level"] == certificate.title == "中级"
    assert body["issued_on"] == certificate.issued_at.date().isoformat()
    assert body["valid_until"] is None and body["revoked_on"] is None
    with app.test_request_context():
        assert body["verify_url"] == services.verify_url(certificate)
    text = response.get_data(as_text=True)
    assert certificate.masked_id not in text and certificate.registration.id_number not in text
    assert not {"id_number", "masked_id", "photo"} & set(body)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert logged(db, method="api", found=True, certificate_id=certificate.id) == 1
    db.session.refresh(key)
    assert key.use_count == 1 and key.last_used_at == clock.now()
    # The other header, and English on request.
    response = _get(client, secret, number=certificate.number, name=certificate.holder_name, header="x-api-key",
                    headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert response.get_json()["status_label"] == "Valid" and response.get_json()["level"] == "Intermediate"


def test_revoked_expired_and_superseded_certificates(app, client, db, panel, issued, make_key, frozen_clock):
    first, second = issued
    _key, secret = make_key()
    services.revoke(db.session, certificate=first, reason="信息有误", actor=panel["admin"], now=clock.now())
    db.session.commit()
    body = _get(client, secret, number=first.number, name=first.holder_name).get_json()
    assert body["status"] == "revoked" and body["revoked_on"] == clock.now().date().isoformat()
    assert "信息有误" in body["remark"]
    # A correction of the name: the old name finds the superseded document, the new name the new one.
    with app.test_request_context():
        new = services.correct(db.session, certificate=second, name="选手二", id_number=second.registration.id_number,
                               reason="改名", actor=panel["admin"], now=clock.now())
        db.session.commit()
    old = _get(client, secret, number=second.number, name="选手2").get_json()
    assert old["status"] == "superseded" and old["serial"] == 1
    assert new.number in old["remark"] and "2" in old["remark"]
    current = _get(client, secret, number=second.number, name="选手二").get_json()
    assert current["status"] == "valid" and current["serial"] == 2
    assert logged(db, method="api", found=True) == 3


def test_not_found_says_why_and_is_logged_as_not_found(client, db, issued, make_key):
    certificate = issued[0]
    _key, secret = make_key()
    cases = {"name_mismatch": (certificate.number, "别人"),
             "number_unknown": (_unknown_number(certificate.number), "x"),
             "number_malformed": (certificate.number[:-1] + "?", certificate.holder_name)}
    for reason, (number, name) in cases.items():
        response = _get(client, secret, number=number, name=name)
        body = response.get_json()
        assert response.status_code == 200 and body["status"] == "not_found" and body["reason"] == reason, body
        assert "holder_name" not in body and body["remark"]
    assert logged(db, method="api", found=False) == 3 and logged(db, found=True) == 0


def test_wrong_missing_and_revoked_keys_are_refused_alike(app, client, db, panel, issued, make_key, create_user):
    certificate = issued[0]
    key, secret = make_key()
    ask = {"number": certificate.number, "name": certificate.holder_name}
    missing = _get(client, **ask)
    assert missing.status_code == 401 and missing.get_json()["error"] == "missing_key"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = _get(client, secret[:-1] + ("A" if secret[-1] != "A" else "B"), **ask)
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_key"
    assert _get(client, "not-even-a-key", **ask).get_json()["error"] == "invalid_key"
    assert _get(client, "x" * 5000, **ask).status_code == 401
    with app.test_request_context():
        employers.revoke_key(db.session, key=key, actor=panel["admin"], now=clock.now())
        db.session.commit()
    revoked = _get(client, secret, **ask)
    assert revoked.status_code == 401 and revoked.get_json() == wrong.get_json()  # no oracle: the same answer
    assert logged(db) == 0
    db.session.refresh(key)
    assert key.use_count == 0
    # A key whose employer account is disabled stops too.
    owner = create_user("employer", full_name="某公司")
    _owned, owned_secret = make_key(owner=owner)
    assert _get(client, owned_secret, address="198.51.100.8", **ask).status_code == 200
    owner.active = False
    db.session.commit()
    assert _get(client, owned_secret, address="198.51.100.8", **ask).status_code == 401


def test_wrong_keys_from_an_address_are_throttled(app, client, db, issued, make_key):
    """A wrong key cannot be used to enumerate anything, and an address that keeps sending wrong
    keys waits: after API_KEY_FAILURES_PER_ADDRESS of them even a right key from it is refused
    (nothing is looked up), while other addresses are served."""
    app.config.update(API_KEY_FAILURES_PER_ADDRESS=3)
    certificate = issued[0]
    _key, secret = make_key()
    ask = {"number": certificate.number, "name": certificate.holder_name}
    for n in range(3):
        assert _get(client, f"iiomk_guess{n}", **ask).status_code == 401
    held = _get(client, secret, **ask)
    assert held.status_code == 429 and held.get_json()["error"] == "too_many_failures"
    assert int(held.headers["Retry-After"]) > 0
    assert _get(client, secret, address="198.51.100.99", **ask).status_code == 200
    assert logged(db, found=True) == 1


def test_the_allowance_is_per_key_and_answered_429_with_retry_after(client, db, issued, make_key, frozen_clock):
    certificate = issued[0]
    key, secret = make_key("甲公司", rate=3)
    _other, other_secret = make_key("乙公司", rate=3)
    ask = {"number": certificate.number, "name": certificate.holder_name}
    for _ in range(3):
        assert _get(client, secret, **ask).status_code == 200
    spent = _get(client, secret, **ask)
    assert spent.status_code == 429 and spent.is_json and spent.get_json()["error"] == "rate_limited"
    assert 0 < int(spent.headers["Retry-After"]) <= 60 and "3" in spent.get_json()["message"]
    assert logged(db, method="api") == 3  # the refused request is not logged, nor counted
    db.session.refresh(key)
    assert key.use_count == 3
    assert _get(client, other_secret, **ask).status_code == 200  # another key is unaffected
    frozen_clock.advance(seconds=61)
    assert _get(client, secret, **ask).status_code == 200


def test_bad_parameters_are_400_with_a_code(client, db, issued, make_key):
    certificate = issued[0]
    _key, secret = make_key()
    cases = [({"number": certificate.number}, "missing_parameter"), ({"name": "x"}, "missing_parameter"),
             ({"number": " ", "name": "x"}, "missing_parameter"),
             ({"number": "A" * 41, "name": "x"}, "parameter_too_long"),
             ({"number": certificate.number, "name": "名" * 41}, "parameter_too_long"),
             ({"number": certificate.number, "name": "a\x00b"}, "invalid_parameter")]
    for params, code in cases:
        response = _get(client, secret, **params)
        assert response.status_code == 400 and response.is_json, (params, response.data)
        body = response.get_json()
        assert body["error"] == code and body["message"], params
    english = _get(client, secret, number=certificate.number, lang="en").get_json()["message"]
    assert "certificate number" in english
    assert logged(db) == 0


def test_never_html_and_never_blocked_by_csrf(app, client, db, login_as, issued, make_key):
    certificate = issued[0]
    _key, secret = make_key()
    login_as("admin")  # a session does not open the API (nor does its CSRF check block the GET)
    assert _get(client, number=certificate.number, name=certificate.holder_name).status_code == 401
    ok = _get(client, secret, number=certificate.number, name=certificate.holder_name)
    assert ok.status_code == 200
    assert client.head(URL, query_string={"number": certificate.number, "name": certificate.holder_name},
                       headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    posted = client.post(URL, headers={"Authorization": f"Bearer {secret}"})
    assert posted.status_code == 405 and posted.is_json and posted.get_json()["error"] == "method_not_allowed"
    unknown = client.get("/api/v1/certificates/nothing")
    assert unknown.status_code == 404 and unknown.is_json


def test_issuing_stores_only_the_hash_and_is_audited(app, client, db, login_as, create_user):
    admin = login_as("admin")
    firm = create_user("employer", full_name="示范企业")
    page = client.get("/certificates/admin/api-keys")
    assert page.status_code == 200 and "示范企业" in page.get_data(as_text=True)
    response = client.submit("/certificates/admin/api-keys", {"label": "示范企业", "owner": firm.public_id,
                                                            "rate_limit": "100", "rate_period": "hour"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    key = db.session.scalar(select(ApiKey))
    secret = text.split('data-testid="secret">')[1].split("<")[0]
    assert secret.startswith("iiomk_") and len(secret) > 40 and key.prefix == secret[:12]
    assert key.secret_hash == employers.digest(secret) and secret not in key.secret_hash
    assert key.owner_id == firm.id and key.rate_limit == 100 and key.rate_period.value == "hour"
    again = client.get("/certificates/admin/api-keys").get_data(as_text=True)
    assert secret not in again and key.prefix in again  # shown once
    # Refused input: nothing issued.
    for bad in ({"label": "", "rate_limit": "10", "rate_period": "minute"},
                {"label": "x", "rate_limit": "0", "rate_period": "minute"},
                {"label": "x", "rate_limit": "10", "rate_period": "week"},
                {"label": "x", "owner": admin.public_id, "rate_limit": "10", "rate_period": "minute"}):
        assert client.submit("/certificates/admin/api-keys", bad).status_code == 400, bad
    assert len(db.session.scalars(select(ApiKey)).all()) == 1
    assert client.submit(f"/certificates/admin/api-keys/{key.public_id}/revoke").status_code == 302
    db.session.refresh(key)
    assert key.revoked_at is not None
    actions = [a.action for a in db.session.scalars(select(AuditLog).where(AuditLog.object_type == "api_keys"))]
    assert actions == ["api_key.issue", "api_key.revoke"]
    assert "iiomk" not in str(db.session.scalars(select(AuditLog.after)).all()).replace(key.prefix, "")


def test_the_key_page_is_for_administrators(client, login_as):
    login_as("employer")
    assert client.get("/certificates/admin/api-keys").status_code == 403


def test_hostile_query_strings_are_answered_in_json(client, db, issued, make_key):
    """Invalid UTF-8, a lone surrogate's bytes, repeated parameters, a 40k-character value: a JSON
    answer below 500, nothing logged for the refused ones."""
    certificate = issued[0]
    _key, secret = make_key()
    headers = {"Authorization": f"Bearer {secret}"}
    for query in ("number=%FF%FE&name=%C3%28", "number=%ED%A0%80&name=x", f"number={certificate.number}&name=" +
                  "长" * 40_000, f"number={certificate.number}&number=X&name={certificate.holder_name}&name=y",
                  "number=%00&name=%00"):
        response = client.get(f"{URL}?{query}", headers=headers)
        assert response.status_code < 500 and response.is_json, query
    assert logged(db, found=True) == 1  # the repeated parameters: the first of each is asked
