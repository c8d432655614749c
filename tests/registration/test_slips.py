"""Account handover: enrolment keeps each new account's initial password for a slip, which the
centre (or the project office) downloads once, as a PDF to cut or as Excel."""

import io
from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader

from core import clock
from core.audit import AuditLog
from registration import services
from registration.models import AccountSlip
from tests.conftest import PASSWORD
from tests.registration.conftest import make_id


def _enrol(db, draft, staff, admin, **overrides):
    registration = draft(**overrides)
    for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
        services.act(db.session, registration=registration, action=action, user=user, now=clock.now())
    db.session.commit()
    return registration


def _sign_in(client, username, password):
    return client.submit("/login", {"username": username, "password": password})


def test_enrolment_keeps_the_password_and_the_slip_hands_it_over_once(app, client, db, draft, staff, create_user,
                                                                       login, frozen_clock):
    admin = create_user("admin")
    first = _enrol(db, draft, staff, admin)
    second = _enrol(db, draft, staff, admin, full_name="李四", email="li@example.com",
                    id_number=make_id(date(2001, 3, 14), seq="77"))
    secrets = {s.registration_id: s.secret for s in db.session.query(AccountSlip)}
    assert set(secrets) == {first.id, second.id} and all(secrets.values())

    login(staff.username)
    page = client.get(f"/registration/events/{first.event.public_id}/slips?lang=en").get_data(as_text=True)
    assert "2 slips are ready" in page and first.user.username in page
    response = client.submit(f"/registration/events/{first.event.public_id}/slips", {"what": "pdf"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    for registration in (first, second):
        assert registration.user.username in text and secrets[registration.id] in text
    assert "/login" in text

    db.session.expire_all()
    slips = db.session.query(AccountSlip).all()
    assert all(s.secret is None and s.handed_over_by_id == staff.id for s in slips)
    assert db.session.query(AuditLog).filter_by(action="registration.slips_handed_over").count() == 1
    again = client.submit(f"/registration/events/{first.event.public_id}/slips?lang=en", {"what": "xlsx"},
                          follow_redirects=True)
    assert "downloaded already" in again.get_data(as_text=True)
    page = client.get(f"/registration/events/{first.event.public_id}/slips?lang=en").get_data(as_text=True)
    assert f"Downloaded by {staff.full_name}" in page

    client.submit("/logout")
    assert _sign_in(client, first.user.username, secrets[first.id]).status_code == 302  # the slip's password works


def test_another_centre_sees_none_of_the_slips(client, db, draft, staff, create_user, login, frozen_clock):
    admin = create_user("admin")
    registration = _enrol(db, draft, staff, admin)
    other = create_user("centre_staff")
    login(other.username)
    page = client.get(f"/registration/events/{registration.event.public_id}/slips").get_data(as_text=True)
    assert registration.user.username not in page
    client.submit(f"/registration/events/{registration.event.public_id}/slips", {"what": "pdf"})
    db.session.expire_all()
    assert db.session.query(AccountSlip).one().secret is not None


def test_excel_and_new_passwords_for_accounts_never_used(client, db, draft, staff, create_user, login,
                                                          frozen_clock):
    admin = create_user("admin")
    registration = _enrol(db, draft, staff, admin)
    old = db.session.query(AccountSlip).one().secret
    login(admin.username, PASSWORD)
    url = f"/registration/events/{registration.event.public_id}/slips"
    response = client.submit(url, {"what": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][3] == registration.user.username and rows[1][4] == old

    client.submit(url, {"what": "reissue"})
    db.session.expire_all()
    new = db.session.query(AccountSlip).one().secret
    assert new and new != old
    client.submit("/logout")
    assert _sign_in(client, registration.user.username, old).status_code == 401  # refused: the old slip is void
    assert _sign_in(client, registration.user.username, new).status_code == 302


def test_a_drawn_password_gets_the_quick_hash_and_a_chosen_one_the_slow_one(app, db, draft, staff, create_user,
                                                                             frozen_clock):
    """Enrolling 300 candidates hashed 300 random initial passwords with scrypt: a minute. A drawn
    72-bit password cannot be guessed at any hashing speed; the candidate's own password, chosen at
    the first sign-in, still gets the slow hash."""
    from accounts import services as accounts

    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    registration = _enrol(db, draft, staff, create_user("admin"))
    user, secret = registration.user, db.session.query(AccountSlip).one().secret
    assert user.password_hash.startswith("pbkdf2:sha256:1000$")
    accounts.change_own_password(db.session, user=user, current=secret, new="my own passphrase 2026")
    assert user.password_hash.startswith("scrypt:")
