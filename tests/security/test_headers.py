"""Response headers: nothing personal is stored by a cache (issue 12 L3), HSTS in production over
HTTPS (L4), and a Content-Security-Policy that also pins <base> (issue 12, CSP base-uri)."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from certificates import services
from core import clock, uploads
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
HSTS = "max-age=31536000; includeSubDomains"


def assert_not_stored(response, what: str) -> None:
    cache = response.headers.get("Cache-Control", "")
    assert "no-store" in cache and "private" in cache and "public" not in cache, f"{what}: Cache-Control {cache!r}"
    assert "Expires" not in response.headers, f"{what}: Expires {response.headers.get('Expires')!r}"


def fetch(client, url: str, what: str):
    with client.get(url) as response:  # file responses: closed here
        assert response.status_code == 200, f"{what}: {url} answered {response.status_code}"
        assert_not_stored(response, what)
        return response


def _issued(app, db, panel, final_results):
    with app.test_request_context():
        certificate = services.issue(db.session, result=final_results[0], actor=panel["admin"], now=clock.now())
        db.session.commit()
        return certificate, services.token(certificate)


def test_responses_to_signed_in_users_are_never_stored(app, db, browser, create_user, panel, final_results,
                                                       frozen_clock):
    """Issue 12 L3: pages, PDFs, exports and photos of every role carry `private, no-store`
    (photos were `public, max-age=3600`, question images a week)."""
    from accounts import services as accounts

    certificate, _token = _issued(app, db, panel, final_results)
    registration = certificate.registration
    event = registration.event
    image = "ab" * 16 + ".png"
    (uploads.folder("questions") / image).write_bytes(b"\x89PNG\r\n\x1a\n")

    admin = browser(panel["admin"])
    for url, what in ((f"/certificates/admin/{event.public_id}", "admin page"),
                      (f"/certificates/admin/{event.public_id}?format=xlsx", "admin results export"),
                      ("/admin/users?format=xlsx", "admin users export"),
                      (f"/registration/{registration.public_id}/photo", "registration photo"),
                      (f"/registration/{registration.public_id}/form.pdf", "registration form PDF"),
                      (f"/certificates/{certificate.public_id}.pdf", "certificate PDF (admin)"),
                      (f"/question-bank/images/{image}", "question image")):
        fetch(admin, url, what)

    staff = browser(create_user("centre_staff", centre=panel["centre_a"]))
    fetch(staff, "/registration/", "centre staff list")
    fetch(staff, f"/registration/{registration.public_id}/photo", "centre staff: photo")
    fetch(staff, f"/registration/{registration.public_id}/ticket.pdf", "centre staff: ticket PDF")

    fetch(browser(panel["r1"]), "/scoring/", "referee page")

    candidate = registration.user
    accounts.set_password(db.session, user=candidate, password=PASSWORD, by_admin=False)
    db.session.commit()
    own = browser(candidate)
    for url, what in (("/my-results", "candidate page"),
                      (f"/certificates/{certificate.public_id}.pdf", "candidate's certificate PDF"),
                      (f"/certificates/{certificate.public_id}.json", "candidate's signed document"),
                      (f"/registration/{registration.public_id}/photo", "candidate's own photo")):
        fetch(own, url, what)
    # An error page for a signed-in user is theirs too.
    with own.get("/certificates/admin") as refused:
        assert refused.status_code == 403
        assert_not_stored(refused, "403 page")


def test_public_pages_with_personal_data_are_never_stored(app, client, db, panel, final_results, frozen_clock):
    """Issue 12 L3: the verify page shows the holder's name and photo; nobody is signed in, and
    still neither the page, the photo, nor a looked-up result is stored. Static files keep their
    caching, and pages without personal data get no such header."""
    certificate, token = _issued(app, db, panel, final_results)
    fetch(client, f"/verify/{token}", "verify page")
    fetch(client, f"/verify/{token}/photo", "holder photo")
    found = client.submit("/verify", {"number": certificate.number, "name": "别人"})
    assert found.status_code == 404
    assert_not_stored(found, "lookup result")
    with client.get("/static/css/app.css") as asset:
        assert asset.status_code == 200 and "no-store" not in asset.headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


def _production(monkeypatch, tmp_path, **env):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("BASE_URL", "https://exam.example.cn")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app("production").test_client()


def test_hsts_in_production_over_https(monkeypatch, tmp_path):
    """Issue 12 L4: production answers over HTTPS with Strict-Transport-Security; plain HTTP
    (where the header means nothing) and development do not."""
    direct = _production(monkeypatch, tmp_path)
    assert direct.get("/ping", base_url="https://exam.example.cn").headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in direct.get("/ping").headers
    # An X-Forwarded-Proto counts only from a trusted proxy (TRUSTED_PROXIES, through ProxyFix).
    assert "Strict-Transport-Security" not in direct.get("/ping", headers={"X-Forwarded-Proto": "https"}).headers
    proxied = _production(monkeypatch, tmp_path, TRUSTED_PROXIES="1")
    response = proxied.get("/ping", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.4"})
    assert response.headers["Strict-Transport-Security"] == HSTS
    development = create_app("testing").test_client()
    assert "Strict-Transport-Security" not in development.get("/ping", base_url="https://localhost").headers


def test_nginx_sample_sends_hsts_and_redirects_plain_http():
    """Issue 12 L4: the sample proxy sets HSTS itself (on every answer, errors included) and sends
    plain HTTP to HTTPS."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert f'add_header Strict-Transport-Security "{HSTS}" always;' in conf
    assert "return 301 https://$host$request_uri;" in conf


def test_csp_pins_base_forms_and_framing(client, login_as):
    """Issue 12 (CSP): base-uri 'self' (an injected <base> cannot redirect relative URLs),
    form-action 'self', frame-ancestors 'none'; and signing in, a form post, still works."""
    policy = client.get("/login").headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    login_as("admin")
    assert client.get("/admin/users").status_code == 200
