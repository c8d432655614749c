"""The event cockpit: the timeline of an event, what blocks each stage with links to the work, the
action that moves it on, and its charts, read in a fixed number of statements."""

from __future__ import annotations

import re
from datetime import timedelta

from cockpit import rules
from core import clock
from core.notify import inbox
from registration import services
from registration.models import Education, EventKind, Level, Registration, State
from scoring import services as scoring
from tests.conftest import page_statements
from tests.registration.conftest import form_data, make_id, photo_bytes


def _event(db, admin, staff, candidates: int, code="CK01"):
    """An event with a scheme and `candidates` forms: two waiting for review, one returned, one
    approved, the rest enrolled."""
    now = clock.now()
    event = services.save_event(db.session, event=None, actor=admin, fields={
        "code": code, "name": f"驾驶舱活动 {code}", "kind": EventKind.CERTIFICATION, "level": Level.JUNIOR,
        "groups": [], "registration_opens": now - timedelta(days=10), "registration_closes": now + timedelta(days=1),
        "minimum_education": Education.HIGH_SCHOOL, "require_full_hours": False, "correction_days": 5})
    services.add_session(db.session, event=event, name="第一场", starts_at=now + timedelta(days=3),
                         ends_at=now + timedelta(days=3, hours=1), site="实训基地", address="", seats=100, actor=admin)
    for n in range(candidates):
        registration = services.save_registration(
            db.session, registration=None, event=event, centre=staff.centre,
            data=form_data(full_name=f"考生{n:02d}", email=f"c{n}@example.com", id_number=make_id(seq=f"{n + 10}")),
            photo=photo_bytes(size=(300, 400)), user=staff, now=now)
        steps = [("submit", staff)]
        if n == 1:
            steps += [("centre_approve", staff)]
        elif n == 2:
            steps += [("return", staff)]
        elif n >= 3:
            steps += [("centre_approve", staff), ("approve", admin)] + ([("enrol", admin)] if n >= 4 else [])
        for action, user in steps:
            extra = {"corrections": [("employer", "请写全称")]} if action == "return" else {}
            services.act(db.session, registration=registration, action=action, user=user, now=now, **extra)
    scoring.create_scheme(db.session, event=event, actor=admin)
    event.registration_closes = now - timedelta(minutes=1)  # the forms are in: registration is over
    db.session.commit()
    return event


def _get(client, url) -> tuple[int, str]:
    return page_statements(client, url)


def _blocker(page: str, kind: str) -> int | None:
    match = re.search(rf'data-blocker="{kind}" data-count="(\d+)"', page)
    return int(match.group(1)) if match else None


def test_the_cockpit_runs_a_fixed_number_of_statements_at_3_and_30_candidates(client, db, create_user, login_as,
                                                                               frozen_clock):
    admin = login_as("admin")
    staff = create_user("centre_staff")
    few_event = _event(db, admin, staff, 3, code="CK03")
    many_event = _event(db, admin, staff, 30, code="CK30")
    few, page = _get(client, f"/events/{few_event.code}")
    assert _blocker(page, "awaiting_centre") == 1 and _blocker(page, "returned") == 1
    many, page = _get(client, f"/events/{many_event.code}")
    assert 'data-count="enrolled">26<' in page and _blocker(page, "approved") == 1
    assert many == few, (few, many)


def test_the_timeline_names_what_blocks_and_links_to_the_work(client, db, create_user, login_as, frozen_clock):
    admin = login_as("admin")
    staff = create_user("centre_staff")
    event = _event(db, admin, staff, 6)
    page = client.get(f"/events/{event.code}?lang=en").get_data(as_text=True)
    assert re.search(r'data-step="registration" data-status="done"', page)
    assert re.search(r'data-step="review" data-status="current"', page)
    assert "1 forms wait for their training centre&#39;s review" in page
    assert "state=submitted" in page and "考生00" in page  # the first of them, linked
    assert "1 forms are back with their centres for correction" in page
    assert 'data-testid="advance-enrol"' in page
    assert "Enrol 1 approved candidates" in page  # the confirmation says what it will do
    assert ' style="' not in page  # the Content-Security-Policy refuses inline styles: charts use SVG sizes


def test_enrol_from_the_cockpit_enrols_every_approved_candidate(client, db, create_user, login_as, frozen_clock):
    admin = login_as("admin")
    staff = create_user("centre_staff")
    event = _event(db, admin, staff, 5)
    response = client.submit(f"/events/{event.code}/advance", {"action": "enrol"})
    assert response.status_code == 302
    states = [r.state for r in db.session.query(Registration).filter_by(event_id=event.id)]
    assert states.count(State.ENROLLED) == 2 and State.APPROVED not in states
    again = client.submit(f"/events/{event.code}/advance?lang=en", {"action": "enrol"}, follow_redirects=True)
    assert "No approved candidate waits for enrolment" in again.get_data(as_text=True)
    assert client.submit(f"/events/{event.code}/advance", {"action": "drop tables"}).status_code == 400


def test_compute_then_publish_from_the_cockpit_counts_the_absent(client, db, create_user, login_as, frozen_clock):
    admin = login_as("admin")
    staff = create_user("centre_staff")
    event = _event(db, admin, staff, 6)
    client.submit(f"/events/{event.code}/advance", {"action": "compute"})
    page = client.get(f"/events/{event.code}?lang=en").get_data(as_text=True)
    assert 'data-count="absent">2<' in page  # enrolled, no exam, no marks
    assert "Publish results for 2 candidates" in page and "2 lack a part" in page
    client.submit(f"/events/{event.code}/advance", {"action": "publish"})
    page = client.get(f"/events/{event.code}?lang=en").get_data(as_text=True)
    assert 'data-count="published">2<' in page
    for registration in db.session.query(Registration).filter_by(event_id=event.id, state=State.ENROLLED):
        notes = inbox(db.session, registration.user_id)  # each candidate is told, with the way to the result
        assert [n.link for n in notes if event.name in n.subject] == ["/my-results"]


def _facts(**overrides) -> rules.Facts:
    now = clock.now()
    base = dict(now=now, registration_opens=now - timedelta(days=9), registration_closes=now - timedelta(days=1),
                forms={"enrolled": 3}, awaiting_centre=(0, ()), awaiting_project=(0, ()), returned=(0, ()),
                approved=(0, ()), without_seat=(0, ()), without_photo=(0, ()), exams=1, exams_draft=0,
                exams_open=0, exams_unreleased=0, submitted=3, in_progress=0, tasks=6, tasks_locked=6,
                scheme_locked=True, stations_drawn=True, marks_missing=0, flags_open=0, results={}, lacking=(0, ()),
                absent=0, objections_open=0, publicity_ends=None, certificates=0, passed=0)
    base.update(overrides)
    return rules.Facts(**base)


def test_a_stage_is_current_until_its_blockers_are_gone():
    stages = {s.step: s for s in rules.timeline(_facts(tasks_locked=4, marks_missing=5))}
    assert stages[rules.Step.EXAM].status is rules.Status.DONE
    practical = stages[rules.Step.PRACTICAL]
    assert practical.status is rules.Status.CURRENT
    assert {b.kind: b.count for b in practical.blockers} == {"marks_missing": 5, "tasks_open": 2}
    assert stages[rules.Step.RESULTS].status is rules.Status.TODO and stages[rules.Step.RESULTS].action == "compute"

    stages = {s.step: s for s in rules.timeline(_facts(results={"computed": 3}, lacking=(1, ("x",)), absent=1))}
    assert stages[rules.Step.RESULTS].status is rules.Status.DONE
    publicity = stages[rules.Step.PUBLICITY]
    assert publicity.status is rules.Status.CURRENT and publicity.action == "publish"

    stages = {s.step: s for s in rules.timeline(_facts(results={"final": 3}, passed=2, certificates=0))}
    assert stages[rules.Step.CERTIFICATES].action == "issue" and stages[rules.Step.CERTIFICATES].counts["pending"] == 2


def test_histogram_bins_include_the_top_score():
    assert rules.histogram([0, 9.9, 10, 59, 100, None]) == [(0, 2), (10, 1), (20, 0), (30, 0), (40, 0), (50, 1),
                                                             (60, 0), (70, 0), (80, 0), (90, 1)]


def test_stages_overlap_forms_are_reviewed_while_sign_up_is_open():
    now = clock.now()
    facts = _facts(registration_closes=now + timedelta(days=3), forms={"submitted": 4, "enrolled": 0},
                   awaiting_centre=(4, ()), exams=0, submitted=0, tasks=0, tasks_locked=0, scheme_locked=False,
                   stations_drawn=False)
    stages = {s.step: s.status for s in rules.timeline(facts)}
    assert stages[rules.Step.REGISTRATION] is rules.Status.CURRENT
    assert stages[rules.Step.REVIEW] is rules.Status.CURRENT  # work waits there now
    assert stages[rules.Step.ENROLMENT] is rules.Status.TODO and stages[rules.Step.PRACTICAL] is rules.Status.TODO
