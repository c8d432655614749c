"""Issue 15: the administrator's home lists the events with their counts and stage, read by a
fixed number of statements however many events and candidates there are (no N+1)."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from registration import services
from registration.models import Education, EventKind, Level
from tests.conftest import page_statements
from tests.registration.conftest import form_data, make_id, photo_bytes


def _add_events(db, admin, staff, numbers: range, forms: int) -> None:
    now = clock.now()
    for k in numbers:
        event = services.save_event(db.session, event=None, actor=admin, fields={
            "code": f"OV{k:02d}", "name": f"概览活动 {k}", "kind": EventKind.CERTIFICATION, "level": Level.JUNIOR,
            "groups": [], "registration_opens": now - timedelta(days=1 + k),
            "registration_closes": now + timedelta(days=30), "minimum_education": Education.HIGH_SCHOOL,
            "require_full_hours": False, "correction_days": 5})
        for n in range(forms):
            registration = services.save_registration(
                db.session, registration=None, event=event, centre=staff.centre,
                data=form_data(id_number=make_id(seq=f"{n + 10}")), photo=photo_bytes(), user=staff, now=now)
            services.act(db.session, registration=registration, action="submit", user=staff, now=now)
    db.session.commit()


def _home(client) -> tuple[int, str]:
    """The admin home and how many SQL statements it ran."""
    return page_statements(client, "/")


def test_the_admin_home_counts_each_event_in_a_fixed_number_of_statements(app, client, db, create_user, login_as,
                                                                            frozen_clock):
    admin = login_as("admin")
    staff = create_user("centre_staff")
    _add_events(db, admin, staff, range(0, 2), forms=1)
    few, page = _home(client)
    assert "概览活动 0" in page and "报名与审核" in page
    _add_events(db, admin, staff, range(2, 6), forms=3)  # three times the events, three times the forms
    many, page = _home(client)
    assert "概览活动 5" in page
    assert many == few, (few, many)
    row = page.split('data-event="OV05"')[1].split("</tr>")[0]
    assert row.count(">3<") == 2  # three forms, all three awaiting review


def test_an_events_stage_follows_its_furthest_step():
    from registration.rules import EventStage, event_progress

    assert event_progress({}, {}).stage is EventStage.OPEN
    assert event_progress({"withdrawn": 2}, {}).stage is EventStage.OPEN
    progress = event_progress({"submitted": 2, "centre_approved": 1, "returned": 1}, {})
    assert progress.stage is EventStage.REGISTRATION
    assert (progress.forms, progress.review, progress.returned) == (4, 3, 1)
    assert event_progress({"enrolled": 5}, {}).stage is EventStage.ASSESSMENT
    assert event_progress({"enrolled": 5}, {"computed": 5}).stage is EventStage.COMPUTED
    assert event_progress({"enrolled": 5}, {"published": 5}).stage is EventStage.PUBLICITY
    assert event_progress({"enrolled": 5}, {"final": 5}).stage is EventStage.FINAL
    assert event_progress({"enrolled": 5}, {"final": 5, "certificates": 4}).stage is EventStage.CERTIFIED
