"""Reissue (a lost certificate: same number, next serial, a note) and correction (name or ID
number, by an administrator with a reason): the new document supersedes the old one."""

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select

from certificates import services
from certificates.models import Certificate
from certificates.openbadges import services as badges
from certificates.openbadges.models import BadgeCredential
from core import clock
from core.audit import AuditLog
from tests.conftest import PASSWORD
from tests.registration.conftest import make_id


def _issue(db, app, panel, final_results):
    with app.test_request_context():
        certificate = services.issue(db.session, result=final_results[0], actor=panel["admin"], now=clock.now())
        services.pdf_bytes(certificate)
        db.session.commit()
        return certificate


def _page(client, certificate):
    with client.application.test_request_context():
        token = services.token(certificate)
    response = client.get(f"/verify/{token}")
    return response.status_code, response.get_data(as_text=True)


def _sign_in(client, panel):
    client.submit("/login", {"username": panel["admin"].username, "password": PASSWORD})


def _badge_status(db, certificate):
    row = db.session.scalar(select(BadgeCredential).filter_by(certificate_id=certificate.id))
    return badges.check(db.session, row.document)


def _count(db):
    return db.session.scalar(select(func.count()).select_from(Certificate))


def test_reissue_keeps_the_number_and_supersedes_the_old_document(app, client, db, panel, final_results,
                                                                   frozen_clock):
    old = _issue(db, app, panel, final_results)
    assert _page(client, old)[1].count('data-status="valid"') == 1
    _sign_in(client, panel)
    response = client.submit(f"/certificates/admin/certificates/{old.public_id}/reissue", {"note": "证书遗失"},
                             follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    new = db.session.scalar(select(Certificate).filter_by(supersedes_id=old.id))
    assert new.number == old.number and (old.serial, new.serial) == (1, 2)
    assert new.reissue_note == "证书遗失" and new.public_id != old.public_id and new.pdf and new.pdf != old.pdf
    assert (new.holder_name, new.masked_id, new.scores) == (old.holder_name, old.masked_id, old.scores)
    assert old.superseded_by_id == new.id
    status, text = _page(client, old)
    assert 'data-status="superseded"' in text and 'data-status="valid"' not in text
    assert f"{new.number}" in text and "2" in text and new.issued_at.strftime("%Y-%m-%d") in text
    assert "序号 2" in text or "serial 2" in text
    status, text = _page(client, new)
    assert status == 200 and 'data-status="valid"' in text
    # The old document's Open Badge is revoked in the status list, the new one is valid.
    assert _badge_status(db, old) == "revoked" and _badge_status(db, new) == "valid"
    # The admin page now offers the current document; the number looks up the current one.
    page = client.get(f"/certificates/admin/{old.event.public_id}").get_data(as_text=True)
    assert new.public_id in page and f"{old.public_id}/reissue" not in page
    entry = db.session.scalar(select(AuditLog).filter_by(action="certificate.reissue"))
    assert entry.comment == "证书遗失" and entry.after == {"number": new.number, "serial": 2}
    with app.test_request_context():
        found = services.lookup(db.session, number=new.number, name=new.holder_name, address="192.0.2.1",
                                now=clock.now())
    assert found.id == new.id


def test_correction_changes_the_name_on_the_new_pdf(app, client, db, panel, final_results, frozen_clock):
    old = _issue(db, app, panel, final_results)
    registration = old.registration
    new_id = make_id(date(1999, 5, 6), seq="77")
    _sign_in(client, panel)
    client.submit(f"/certificates/admin/certificates/{old.public_id}/correct",
                  {"name": "李更正", "id_number": new_id, "reason": "姓名录入错误"}, follow_redirects=True)
    db.session.expire_all()
    new = db.session.scalar(select(Certificate).filter_by(supersedes_id=old.id))
    assert new is not None and new.number == old.number and new.serial == 2
    assert new.holder_name == "李更正" and new.masked_id == new_id[:6] + "*" * 8 + new_id[14:]
    assert new.correction_reason == "姓名录入错误"
    assert (registration.full_name, registration.id_number) == ("李更正", new_id)
    with app.test_request_context():
        text = PdfReader(io.BytesIO(services.pdf_bytes(new))).pages[0].extract_text()
        old_text = PdfReader(io.BytesIO(services.pdf_bytes(old))).pages[0].extract_text()
    assert "李更正" in text and new.number in text and "李更正" not in old_text
    assert 'data-status="superseded"' in _page(client, old)[1]
    assert 'data-status="valid"' in _page(client, new)[1]
    assert _badge_status(db, old) == "revoked" and _badge_status(db, new) == "valid"
    new_badge = db.session.scalar(select(BadgeCredential).filter_by(certificate_id=new.id))
    assert new_badge.identity_hash == badges.identity_hash(new_id, new_badge.salt)
    entry = db.session.scalar(select(AuditLog).filter_by(action="certificate.correct"))
    assert entry.comment == "姓名录入错误" and entry.before["holder_name"] == old.holder_name
    assert entry.after["holder_name"] == "李更正"


def test_refusals_change_nothing(app, client, db, panel, final_results, frozen_clock):
    old = _issue(db, app, panel, final_results)
    other = final_results[2].registration
    _sign_in(client, panel)
    url = f"/certificates/admin/certificates/{old.public_id}"
    good_id = old.registration.id_number
    cases = [
        (f"{url}/reissue", {"note": "   "}, None),
        (f"{url}/correct", {"name": "李更正", "id_number": good_id, "reason": " "}, None),
        (f"{url}/correct", {"name": "李更正", "id_number": good_id[:17] + ("0" if good_id[17] != "0" else "1"),
                            "reason": "错"}, "ID number"),
        (f"{url}/correct", {"name": "李更正", "id_number": "12345", "reason": "错"}, "ID number"),
        (f"{url}/correct", {"name": "李更正", "id_number": other.id_number, "reason": "错"}, None),
        (f"{url}/correct", {"name": old.holder_name, "id_number": good_id, "reason": "错"}, None),
    ]
    client.submit("/language", {"lang": "en"})
    for path, data, words in cases:
        response = client.submit(path, data, follow_redirects=True)
        assert response.status_code == 200, (path, data)
        body = response.get_data(as_text=True)
        assert "alert-danger" in body, data
        if words:
            assert words in body
        db.session.expire_all()
        assert _count(db) == 1 and old.superseded_by_id is None, data
        assert old.registration.full_name != "李更正"
    # A superseded certificate cannot be reissued again, nor a revoked one.
    client.submit(f"{url}/reissue", {"note": "lost"})
    assert _count(db) == 2
    response = client.submit(f"{url}/reissue", {"note": "lost again"}, follow_redirects=True)
    assert "superseded already" in response.get_data(as_text=True) and _count(db) == 2
    db.session.expire_all()
    new = db.session.scalar(select(Certificate).filter_by(supersedes_id=old.id))
    with app.test_request_context():
        services.revoke(db.session, certificate=new, reason="fraud", actor=panel["admin"], now=clock.now())
    db.session.commit()
    response = client.submit(f"/certificates/admin/certificates/{new.public_id}/correct",
                             {"name": "李更正", "id_number": good_id, "reason": "错"}, follow_redirects=True)
    assert "revoked certificate cannot" in response.get_data(as_text=True) and _count(db) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action.in_(["certificate.reissue", "certificate.correct"]))) == 1


def test_reissue_and_correct_are_for_administrators_only(app, client, db, panel, final_results, frozen_clock):
    from accounts.models import Role
    from core.access import roles_admitted
    from tests.core.test_access import ROLES

    for endpoint in ("certificates.reissue", "certificates.correct"):
        assert set(roles_admitted(app, endpoint, ROLES)) == {Role.ADMIN.value}, endpoint
    old = _issue(db, app, panel, final_results)
    candidate = final_results[0].registration.user
    from accounts import services as accounts

    accounts.set_password(db.session, user=candidate, password=PASSWORD, by_admin=False)
    db.session.commit()
    client.submit("/login", {"username": candidate.username, "password": PASSWORD})
    response = client.submit(f"/certificates/admin/certificates/{old.public_id}/reissue", {"note": "lost"})
    assert response.status_code == 403 and _count(db) == 1
