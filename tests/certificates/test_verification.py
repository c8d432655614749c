"""The public verify page: the holder's photo only while the certificate is valid (issue 12 L10),
a bounded log of verifications per client address (issue 12, the Verification flood), written
off the request (issue 14), and the page cache for anonymous visitors (issue 14)."""

from __future__ import annotations

from flask import template_rendered
from sqlalchemy import func, select

from certificates import results, services, verifylog
from certificates.models import Verification
from core import clock
from tests.conftest import CSRF_META, PASSWORD


def _issued(app, db, panel, final_results):
    with app.test_request_context():
        certificate = services.issue(db.session, result=final_results[0], actor=panel["admin"], now=clock.now())
        db.session.commit()
        return certificate, services.token(certificate)


def _photo(client, token) -> int:
    with client.get(f"/verify/{token}/photo") as response:
        return response.status_code


def test_a_revoked_certificate_no_longer_shows_its_photo(app, client, db, panel, final_results, frozen_clock):
    """Issue 12 L10: revoking a certificate takes the holder's photo off the public page and its
    address; the page still states the facts and the revocation."""
    certificate, token = _issued(app, db, panel, final_results)
    assert _photo(client, token) == 200
    assert f"/verify/{token}/photo" in client.get(f"/verify/{token}").get_data(as_text=True)
    services.revoke(db.session, certificate=certificate, reason="信息有误", actor=panel["admin"], now=clock.now())
    db.session.commit()
    assert _photo(client, token) == 404
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert 'data-status="revoked"' in page and certificate.holder_name in page
    assert "/photo" not in page


def test_an_expired_certificate_no_longer_shows_its_photo(app, client, db, panel, final_results, frozen_clock):
    """Issue 12 L10 (decided: only a valid certificate shows its photo): after expiry the page
    keeps the facts with a warning, the photo goes."""
    results.rule_of(db.session, panel["scheme"].event).expiry_years = 3
    certificate, token = _issued(app, db, panel, final_results)
    assert _photo(client, token) == 200
    frozen_clock.advance(days=3 * 366)
    assert _photo(client, token) == 404
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert 'data-status="expired"' in page and certificate.holder_name in page and "/photo" not in page


def _logged(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Verification))


def test_verifications_logged_per_address_are_bounded(app, client, db, panel, final_results, frozen_clock):
    """Issue 12 (Verification flood): an anonymous client requesting the verify page over and
    over gets every page, but writes at most VERIFY_LOG_PER_ADDRESS rows per window; another
    client is logged as before, an IPv6 /64 counts as one client, and the next window logs again."""
    app.config.update(VERIFY_LOG_PER_ADDRESS=5, VERIFY_LOG_WINDOW=3600)
    certificate, token = _issued(app, db, panel, final_results)
    for _ in range(12):
        page = client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "203.0.113.5"})
        assert page.status_code == 200 and certificate.holder_name in page.get_data(as_text=True)
    assert _logged(db) == 5
    assert client.get("/verify/bogus", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
    assert _logged(db) == 5  # a not-found page is not logged past the bound either
    client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "203.0.113.6"})
    assert _logged(db) == 6
    for n in range(8):
        client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": f"2001:db8:5:6::{n + 1:x}"})
    assert _logged(db) == 11
    frozen_clock.advance(hours=1)
    client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert _logged(db) == 12
    rows = db.session.scalars(select(Verification).order_by(Verification.id)).all()
    assert {r.method for r in rows} == {"qr"} and all(r.found for r in rows)


def test_the_verify_page_answers_from_its_cache_with_each_visitors_own_token(app, client, db, panel, final_results):
    """Issue 14: an anonymous visitor's verify page is rendered once and then answered from the
    page cache, each visitor with the CSRF token of their own session; a signed-in user's page
    is rendered for them (it shows who they are)."""
    certificate, token = _issued(app, db, panel, final_results)
    rendered = []

    def seen(_app, template, context, **_extra):
        rendered.append(template.name)

    template_rendered.connect(seen, app)  # held by `seen` for the test's length (blinker keeps weak refs)
    first, second = app.test_client(), app.test_client()
    pages = [c.get(f"/verify/{token}").get_data(as_text=True) for c in (first, second, first)]
    assert rendered.count("certificates/verify.html") == 1
    tokens = [CSRF_META.search(p).group(1) for p in pages]
    assert tokens[0] != tokens[1]  # two sessions, two tokens
    assert all('data-status="valid"' in p and certificate.holder_name in p for p in pages)
    client.submit("/login", {"username": panel["admin"].username, "password": PASSWORD})
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert rendered.count("certificates/verify.html") == 2 and panel["admin"].full_name in page


def test_verifications_are_logged_off_the_request_in_one_batch(app, client, db, panel, final_results):
    """Issue 14: with a flush interval the page writes nothing itself; the queued verifications
    are written together, each within the per-address bound."""
    app.config.update(VERIFY_LOG_FLUSH_SECONDS=3600, VERIFY_LOG_PER_ADDRESS=5)  # the thread waits: we flush
    certificate, token = _issued(app, db, panel, final_results)
    for _n in range(12):
        assert client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200
    client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "203.0.113.10"})
    assert _logged(db) == 0
    assert verifylog.flush() == 6
    db.session.expire_all()
    assert _logged(db) == 6
    rows = db.session.scalars(select(Verification)).all()
    assert {r.certificate_id for r in rows} == {certificate.id} and all(r.method == "qr" and r.found for r in rows)
