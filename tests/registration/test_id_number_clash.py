"""Issue 12 L8: an ID number already registered for the event on a form the user may not see is
refused without confirming that someone holds it (no oracle), and the administrators are told who
tried which number (so a squatted number is found); the user's own or their centre's form is named
as such, so that a centre re-registering its candidate knows where to look.

The pages are read in English: the messages are the code's own, whatever the catalog holds."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditLog
from core.notify import Notification
from registration import services
from registration.models import Registration
from tests.conftest import PASSWORD
from tests.registration.conftest import form_data, make_id, photo_bytes
from tests.registration.test_batch_and_documents import person, sheet

HELD = "This ID number cannot be registered here. The project office has been told and will contact you."
YOURS = "This ID number is already registered for this event; you can open that form from the list of registrations."
HOLDER = "李持有"


@pytest.fixture
def held(draft):
    """Centre A's draft for the number make_id() (the form's default)."""
    return draft(full_name=HOLDER)


def _sign_in(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert client.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def _apply(client, event, centre_id: str, **overrides):
    data = {k: str(v) for k, v in form_data(**overrides).items() if v is not None}
    return client.submit(f"/registration/events/{event.public_id}/apply",
                         {**data, "centre": centre_id, "photo": (io.BytesIO(photo_bytes()), "photo.jpg")},
                         content_type="multipart/form-data")


def _reports(db) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).filter_by(action="registration.number_held")).all()


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_another_centres_number_is_refused_without_saying_so_and_reported(app, db, event, held, create_user):
    """Issue 12 L8: the registration form, by another centre's staff."""
    other = create_user("centre_staff")
    client = _sign_in(app, other)
    notes = _count(db, Notification)
    page = _apply(client, event, other.centre.public_id).get_data(as_text=True)
    assert HELD in page and "already registered" not in page and HOLDER not in page
    assert _count(db, Registration) == 1
    [report] = _reports(db)
    assert report.actor_id == other.id and report.after["id_numbers"] == [held.id_number]
    assert report.after["held_by"] == [held.public_id]
    [note] = db.session.scalars(select(Notification).order_by(Notification.id).offset(notes)).all()
    admin = db.session.get(type(other), note.user_id)
    assert admin.role.value == "admin" and event.name in note.subject
    assert held.public_id in note.body and HOLDER in note.body and other.username in note.body


def test_a_candidate_whose_number_is_taken_is_not_told_by_whom(app, db, event, held, create_user, staff):
    """Issue 12 L8: the registration form, by a candidate whose number someone else registered."""
    candidate = create_user("candidate", email="someone@example.com")
    page = _apply(_sign_in(app, candidate), event, staff.centre.public_id, email="someone@example.com")
    page = page.get_data(as_text=True)
    assert HELD in page and HOLDER not in page
    assert len(_reports(db)) == 1 and _count(db, Registration) == 1


def test_the_centre_that_holds_the_number_is_told_so(app, db, event, held, staff, create_user):
    """Issue 12 L8: a centre re-registering its own candidate gets the helpful message, and nothing
    is reported."""
    notes = _count(db, Notification)
    page = _apply(_sign_in(app, staff), event, staff.centre.public_id).get_data(as_text=True)
    assert YOURS in page and HELD not in page
    assert _reports(db) == [] and _count(db, Notification) == notes
    with pytest.raises(services.Conflict) as refused:  # an administrator sees every form: told too
        services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                   data=form_data(), photo=None, user=create_user("admin"), now=clock.now())
    assert not isinstance(refused.value, services.NumberHeld)


def test_batch_rows_with_taken_numbers(app, db, event, held, create_user):
    """Issue 12 L8: batch registration. Another centre's number: the neutral message, reported once
    (on upload, not on each visit of the check page); the centre's own: the helpful message; a number
    twice in the file: said so."""
    other = create_user("centre_staff")
    own = make_id(date(2001, 3, 14), seq="13")
    services.save_registration(db.session, registration=None, event=event, centre=other.centre,
                               data=form_data(id_number=own), photo=None, user=other, now=clock.now())
    db.session.commit()
    rows = [person("甲", date(2001, 3, 14), True, "12"),  # centre A's (held)
            person("乙", date(2001, 3, 14), True, "13"),  # this centre's own
            person("丙", date(2000, 1, 2), True, "11"),  # new
            person("丁", date(2000, 1, 2), True, "11")]  # new, twice
    client = _sign_in(app, other)
    uploaded = client.submit(f"/registration/events/{event.public_id}/batch",
                             {"sheet": (io.BytesIO(sheet(rows)), "sheet.xlsx")}, content_type="multipart/form-data")
    preview = uploaded.headers["Location"]
    for _visit in range(2):
        page = client.get(preview).get_data(as_text=True)
    problems = {r.split('"')[0]: r for r in page.split('data-row="')[1:]}
    assert HELD in problems["2"] and HOLDER not in page
    assert YOURS in problems["3"]
    assert "ready" in problems["4"] and "earlier row" in problems["5"]
    [report] = _reports(db)
    assert report.after["id_numbers"] == [held.id_number]
    assert client.submit(preview).status_code == 302
    assert _count(db, Registration) == 3  # A's, this centre's own, and 丙
