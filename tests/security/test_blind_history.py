"""Blind marking from the other side: the candidate and their centre do not see who marked them,
when, or what was deducted, in the registration's history (issue 12 M9)."""

from core import clock
from scoring import services
from tests.conftest import PASSWORD
from tests.scoring.conftest import station


def _open(app, user):
    client = app.test_client()
    assert client.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_mark_events_are_shown_to_administrators_only(app, db, panel, create_user, frozen_clock):
    task = panel["scheme"].tasks[0]
    person = panel["people"][0]
    services.assign(db.session, task=task, referee=panel["r1"], stations=[station(db, task, person)],
                    actor=panel["admin"])
    entries = {a.id: ("1", None) for a in task.aspects if a.code == "1.1"}
    services.save_marks(db.session, task=task, registration=person, referee=panel["r1"], entries=entries,
                        submit=False, now=clock.now())
    db.session.commit()
    url = f"/registration/{person.public_id}"
    admin_page = _open(app, panel["admin"]).get(url).get_data(as_text=True)
    assert panel["r1"].username in admin_page  # the referee, on the administrator's history
    staff = next(u for u in person.centre.staff)
    centre_page = _open(app, staff).get(url)
    assert centre_page.status_code == 200 and panel["r1"].username not in centre_page.get_data(as_text=True)
