import io
import json
import os
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from certificates import services, signing
from certificates.models import Certificate, Verification
from core import clock
from core.errors import DomainError, Throttled


def issue_all(db, rows, admin):
    issued = [services.issue(db.session, result=r, actor=admin, now=clock.now()) for r in rows if r.passed]
    db.session.commit()
    return issued


def test_issue_numbers_and_refusals(app, db, panel, final_results, frozen_clock):
    with app.test_request_context():
        certs = issue_all(db, final_results, panel["admin"])
        assert len(certs) == 2 and len({c.number for c in certs}) == 2
        assert all(c.number.startswith("2026GD2026I") for c in certs)  # intermediate: the one level-letter table
        with pytest.raises(DomainError):  # a failed result gets no certificate
            services.issue(db.session, result=final_results[1], actor=None, now=clock.now())
        again = services.issue(db.session, result=final_results[0], actor=None, now=clock.now())
        assert again.id == certs[0].id  # issuing twice gives the same certificate


def verify_page(client, token):
    return client.get(f"/verify/{token}")


def test_verify_page_valid_tampered_revoked_expired(app, client, db, panel, final_results, frozen_clock):
    with app.test_request_context():
        cert = issue_all(db, final_results, panel["admin"])[0]
        token = services.token(cert)
    page = verify_page(client, token)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-status="valid"' in text and cert.holder_name in text
    assert cert.masked_id in text and cert.number in text
    for tampered in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" + token[1:], token + "0"):
        response = verify_page(client, tampered)
        assert response.status_code == 404 and 'data-status="not_found"' in response.get_data(as_text=True)
    services.revoke(db.session, certificate=cert, reason="证书信息有误，已重新颁发", actor=panel["admin"],
                    now=clock.now())
    db.session.commit()
    text = verify_page(client, token).get_data(as_text=True)
    assert 'data-status="revoked"' in text and "证书信息有误" in text
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 5
    client.submit("/language", {"lang": "en"})
    assert "Revoked" in verify_page(client, token).get_data(as_text=True)


def test_expired_certificates_stay_visible_with_a_warning(app, client, db, panel, final_results, frozen_clock):
    from certificates import results

    results.rule_of(db.session, panel["scheme"].event).expiry_years = 3
    with app.test_request_context():
        cert = issue_all(db, final_results, panel["admin"])[0]
        token = services.token(cert)
    frozen_clock.advance(days=3 * 366)
    text = verify_page(client, token).get_data(as_text=True)
    assert 'data-status="expired"' in text and cert.holder_name in text


def test_lookup_needs_number_and_name_and_is_rate_limited(app, client, db, panel, final_results, frozen_clock):
    with app.test_request_context():
        cert = issue_all(db, final_results, panel["admin"])[0]
    wrong = client.submit("/verify", {"number": cert.number, "name": "别人"})
    assert wrong.status_code == 404 and 'data-status="not_found"' in wrong.get_data(as_text=True)
    right = client.submit("/verify", {"number": cert.number.lower(), "name": cert.holder_name})
    assert right.status_code == 302 and "/verify/" in right.headers["Location"]
    for _ in range(8):
        client.submit("/verify", {"number": "NOPE", "name": "x"})
    limited = client.submit("/verify", {"number": cert.number, "name": cert.holder_name})
    assert limited.status_code == 429 and "过多" in limited.get_data(as_text=True)
    with pytest.raises(Throttled):
        services.lookup(db.session, number=cert.number, name=cert.holder_name, address="127.0.0.1", now=clock.now())
    frozen_clock.advance(minutes=11)
    assert services.lookup(db.session, number=cert.number, name=cert.holder_name, address="127.0.0.1",
                           now=clock.now()).id == cert.id


def test_signed_json_verifies_and_a_changed_byte_is_rejected(app, runner, db, panel, final_results, tmp_path,
                                                             frozen_clock):
    with app.test_request_context():
        cert = issue_all(db, final_results, panel["admin"])[0]
        document = signing.sign(services.facts(cert))
        public = signing.private_key().public_key()
    assert signing.verify(document, public)
    raw = json.dumps(document, ensure_ascii=False).encode()
    good = tmp_path / "good.json"
    good.write_bytes(raw)
    result = runner.invoke(args=["certificates", "verify-cert", str(good)])
    assert result.exit_code == 0 and "VALID" in result.output and cert.number in result.output
    changed = raw.replace(cert.holder_name.encode(), "王五".encode())
    bad = tmp_path / "bad.json"
    bad.write_bytes(changed)
    result = runner.invoke(args=["certificates", "verify-cert", str(bad)])
    assert result.exit_code != 0 and "INVALID" in result.output
    key = app.test_client().get("/.well-known/iiom-certificate-key.json").get_json()
    assert key["algorithm"] == "Ed25519" and signing.verify(document, signing.load_public(key["public_key_pem"]))


@pytest.mark.skipif(shutil.which("pdftoppm") is None and not os.environ.get("REQUIRE_PDF_TOOLS"),
                    reason="needs pdftoppm (Debian poppler-utils)")
def test_certificate_pdf_qr_leads_to_the_valid_page(app, client, db, panel, final_results, tmp_path, frozen_clock):
    import zxingcpp
    from PIL import Image

    with app.test_request_context():
        cert = issue_all(db, final_results, panel["admin"])[0]
        pdf = services.pdf_bytes(cert)
        assert services.pdf_bytes(cert) == pdf  # re-downloading gives the same file
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert cert.holder_name in text and cert.number in text
    (tmp_path / "cert.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(tmp_path / "cert.pdf"), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    from pathlib import Path

    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(page, artifacts / "certificate.png")
    url = zxingcpp.read_barcodes(Image.open(page))[0].text
    assert url.startswith("http://localhost/verify/")
    response = client.get(url.removeprefix("http://localhost"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'data-status="valid"' in body and cert.holder_name in body


@pytest.mark.postgres
def test_certificate_numbers_stay_unique_under_concurrent_issue(app, db, panel, final_results, frozen_clock):
    import threading

    from certificates.models import Result

    ids = [r.id for r in final_results if r.passed]
    errors = []

    def worker(result_id):
        with app.app_context():
            try:
                with app.test_request_context():
                    result = db.session.get(Result, result_id)
                    services.issue(db.session, result=result, actor=None, now=clock.now())
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    numbers = db.session.scalars(select(Certificate.number)).all()
    assert len(numbers) == len(set(numbers)) == len(ids)


def test_admin_and_candidate_pages(app, client, db, panel, final_results, frozen_clock):
    from certificates.models import ResultStatus
    from tests.conftest import PASSWORD

    event = panel["scheme"].event
    client.submit("/login", {"username": panel["admin"].username, "password": PASSWORD})
    page = client.get(f"/certificates/admin/{event.public_id}").get_data(as_text=True)
    assert all(r.registration.candidate_number in page for r in final_results)
    assert client.get(f"/certificates/admin/{event.public_id}?format=xlsx").data[:2] == b"PK"
    client.submit(f"/certificates/admin/{event.public_id}", {"action": "batch"})
    again = client.submit(f"/certificates/admin/{event.public_id}", {"action": "batch"}, follow_redirects=True)
    assert "正在颁发" in again.get_data(as_text=True)  # a second click while it runs is refused
    from certificates.models import IssueBatch
    from core.extensions import scheduler

    assert db.session.scalar(select(func.count()).select_from(IssueBatch)) == 1

    app.config["CERT_BATCH_SECONDS"] = 0  # a run whose time is up at once issues nothing...
    assert scheduler.run_job(app, "certificates.run_batches") == 0
    progress = client.get(f"/certificates/admin/{event.public_id}/batch.json").get_json()
    assert progress == {"total": 2, "done": 0, "finished": False}
    app.config["CERT_BATCH_SECONDS"] = 8  # ...and the next run goes on
    assert scheduler.run_job(app, "certificates.run_batches") == 2
    progress = client.get(f"/certificates/admin/{event.public_id}/batch.json").get_json()
    assert progress == {"total": 2, "done": 2, "finished": True}
    client.submit("/logout")
    candidate = final_results[0].registration.user
    client.submit("/login", {"username": candidate.username, "password": "x"})  # unknown password: refused
    assert client.get("/my-results").status_code == 302
    from accounts import services as accounts

    accounts.set_password(db.session, user=candidate, password=PASSWORD, by_admin=False)
    db.session.commit()
    client.submit("/login", {"username": candidate.username, "password": PASSWORD})
    mine = client.get("/my-results").get_data(as_text=True)
    assert final_results[0].status is ResultStatus.FINAL and "PDF" in mine
    own = final_results[0].registration_id
    others = db.session.scalars(select(Certificate).where(Certificate.registration_id != own)).all()
    assert client.get(f"/certificates/{others[0].public_id}.pdf").status_code == 403


def test_validity_from_29_february():
    from datetime import datetime

    from certificates.services import _years_later

    assert _years_later(datetime(2028, 2, 29, 9), 3) == datetime(2031, 2, 28, 9)
    assert _years_later(datetime(2028, 3, 1), 4) == datetime(2032, 3, 1)
