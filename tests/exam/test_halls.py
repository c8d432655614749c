"""Halls and invigilators (issue 13, part 2): an invigilator sees and acts on their own halls only;
pausing a hall stops its candidates' clocks and takes no answers, the resume moves every deadline
there by the paused span, and the hall next door is untouched. Halls come from the event's
sessions, with the enrolled candidates seated by their tickets."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from exam import halls, services
from exam.models import Attempt, ExamCandidate
from tests.conftest import PASSWORD
from tests.exam.test_views import config_of
from tests.registration.conftest import event  # noqa: F401 (fixture)
from tests.scoring.conftest import panel  # noqa: F401 (fixture)


def _browser(app, user):
    client = app.test_client()
    assert client.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def two_halls(app, db, create_user, make_exam, frozen_clock):
    a_cand, b_cand = create_user("candidate"), create_user("candidate")
    exam = make_exam([a_cand, b_cand])
    admin = create_user("admin")
    hall_a = halls.add_hall(db.session, exam=exam, name="第一考场", room="A101", seats=30, actor=admin)
    hall_b = halls.add_hall(db.session, exam=exam, name="第二考场", room="A102", seats=30, actor=admin)
    halls.seat(db.session, hall=hall_a, usernames=[a_cand.username], actor=admin)
    halls.seat(db.session, hall=hall_b, usernames=[b_cand.username], actor=admin)
    inv_a, inv_b = create_user("invigilator"), create_user("invigilator")
    halls.assign_invigilator(db.session, hall=hall_a, user=inv_a, actor=admin)
    halls.assign_invigilator(db.session, hall=hall_b, user=inv_b, actor=admin)
    db.session.commit()
    pages = {}
    for name, cand in (("a", a_cand), ("b", b_cand)):
        client = _browser(app, cand)
        response = client.submit(f"/exam/{exam.public_id}/start", {})
        assert response.status_code == 302
        pages[name] = (client, config_of(client.get(response.headers["Location"]).get_data(as_text=True)))
    return {"exam": exam, "a": hall_a, "b": hall_b, "inv_a": _browser(app, inv_a), "inv_b": _browser(app, inv_b),
            "pages": pages, "cands": {"a": a_cand, "b": b_cand}}


def _save(page, db, seq):
    client, config = page
    attempt = db.session.scalar(select(Attempt).filter_by(public_id=config["attempt"]))
    item = next(i.id for i in attempt.paper.items if i.version.type.value == "true_false")
    return client.post(config["save_url"], json={"saves": [{"item": item, "response": True, "seq": seq}]},
                       headers={"X-CSRFToken": client.csrf_token()})


def test_an_invigilator_sees_and_acts_on_their_own_halls_only(two_halls):
    inv_b, hall_a = two_halls["inv_b"], two_halls["a"]
    listing = inv_b.get("/exam/halls/").get_data(as_text=True)
    assert "第二考场" in listing and "第一考场" not in listing
    assert inv_b.get(f"/exam/halls/{hall_a.public_id}").status_code == 404
    assert inv_b.get(f"/exam/halls/{hall_a.public_id}?format=json").status_code == 404
    assert inv_b.submit(f"/exam/halls/{hall_a.public_id}/pause", {"reason": "x"}).status_code == 404
    assert inv_b.submit(f"/exam/halls/{hall_a.public_id}/resume", {}).status_code == 404
    assert hall_a.paused_at is None
    page = two_halls["inv_a"].get(f"/exam/halls/{hall_a.public_id}").get_data(as_text=True)
    assert two_halls["cands"]["a"].username in page and two_halls["cands"]["b"].username not in page


def test_a_pause_stops_one_hall_and_its_resume_gives_the_time_back(two_halls, db, frozen_clock):
    hall_a, inv_a = two_halls["a"], two_halls["inv_a"]
    page_a, page_b = two_halls["pages"]["a"], two_halls["pages"]["b"]
    deadlines = {a.hall_id: a.deadline for a in db.session.scalars(select(Attempt))}
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/pause", {"reason": "停电"}).status_code == 302
    refused = _save(page_a, db, 1)
    assert refused.status_code == 423 and "监考员" in refused.get_json()["message"]
    assert _save(page_b, db, 1).status_code == 200  # the hall next door answers on
    clock_a = page_a[0].get(page_a[1]["clock_url"]).get_json()
    assert clock_a["paused"] is True
    frozen_clock.advance(minutes=2)
    assert page_a[0].get(page_a[1]["clock_url"]).get_json()["remaining"] == clock_a["remaining"]  # stood still
    html = page_a[0].get(f"/exam/attempts/{page_a[1]['attempt']}").get_data(as_text=True)
    assert 'data-testid="exam-paused"' in html and 'data-testid="exam-paused" hidden' not in html
    seats = inv_a.get(f"/exam/halls/{hall_a.public_id}?format=json").get_json()["seats"]
    assert seats[0]["state"] == "paused"
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/resume", {}).status_code == 302
    db.session.expire_all()
    after = {a.hall_id: a.deadline for a in db.session.scalars(select(Attempt))}
    assert after[hall_a.id] == deadlines[hall_a.id] + timedelta(minutes=2)
    assert after[two_halls["b"].id] == deadlines[two_halls["b"].id]
    assert _save(page_a, db, 2).status_code == 200
    assert db.session.get(type(hall_a), hall_a.id).paused_seconds == 120


def test_a_deadline_that_passes_during_a_pause_does_not_close_the_attempt(two_halls, db, frozen_clock, app):
    hall_a = two_halls["a"]
    attempt = db.session.scalar(select(Attempt).where(Attempt.hall_id == hall_a.id))
    frozen_clock.now = attempt.deadline - timedelta(minutes=1)
    frozen_clock.advance(seconds=0)
    halls.pause(db.session, hall=hall_a, reason="火警", actor=None, now=clock.now())
    db.session.commit()
    frozen_clock.advance(minutes=10)  # well past the deadline
    assert services.close_overdue(db.session, now=clock.now()) == 1  # hall B's attempt, not hall A's
    db.session.commit()
    page_a = two_halls["pages"]["a"]
    assert page_a[0].get(page_a[1]["clock_url"]).get_json()["status"] == "in_progress"
    halls.resume(db.session, hall=hall_a, actor=None, now=clock.now())
    db.session.commit()
    body = page_a[0].get(page_a[1]["clock_url"]).get_json()
    assert body["status"] == "in_progress" and 55 <= body["remaining"] <= 60  # the minute that was left


def test_halls_come_from_the_events_sessions_with_ticket_seats(db, panel, make_exam, frozen_clock):  # noqa: F811
    exam = make_exam([], event_id=panel["people"][0].event_id, closes=60 * 24 * 50)  # the session is in 40 days
    seated = halls.halls_from_event(db.session, exam=exam, actor=panel["admin"])
    db.session.commit()
    assert [h.name for h in exam.halls] == ["第一场"] and exam.halls[0].room == "广州实训基地"
    entries = {e.user_id: e for e in db.session.scalars(select(ExamCandidate).filter_by(exam_id=exam.id))}
    assert len(entries) == 3  # every enrolled candidate is on the roster
    with_seat = {r.user_id: r.seat for r in panel["people"] if r.seat}
    assert seated == len(with_seat) == 2
    for user_id, seat in with_seat.items():
        assert entries[user_id].hall_id == exam.halls[0].id and entries[user_id].seat == seat
    assert halls.halls_from_event(db.session, exam=exam, actor=panel["admin"]) == 0  # again: nothing moves
    hall, event_session = exam.halls[0], panel["people"][0].session
    assert hall.starts_at == event_session.starts_at and hall.paper_key  # the session's start, together
    # The seat map shows each enrolled candidate's number and whether there is a photo (one query).
    numbers = {r.user_id: r.candidate_number for r in panel["people"]}
    seats = halls.seat_map(db.session, hall=hall, now=clock.now())
    by_name = {e.user.username: e.user_id for e in entries.values()}
    assert {s.candidate_number for s in seats} == {numbers[by_name[s.username]] or "" for s in seats}
    assert any(s.candidate_number for s in seats)


def _second_device(app, user, exam):
    client = _browser(app, user)
    response = client.submit(f"/exam/{exam.public_id}/start", {})
    assert response.status_code == 302
    return client, response.headers["Location"]


def test_a_takeover_in_a_hall_waits_for_the_invigilator(app, two_halls, db, frozen_clock):
    """Issue 13: anyone with a candidate's password could take the attempt over from outside the
    hall. Now the new device waits until the hall's invigilator approves it on the seat map."""
    from exam.models import IntegrityEvent

    exam, hall_a, inv_a = two_halls["exam"], two_halls["a"], two_halls["inv_a"]
    first = two_halls["pages"]["a"]
    second, url = _second_device(app, two_halls["cands"]["a"], exam)
    waiting = second.get(url).get_data(as_text=True)
    assert 'data-testid="takeover-waiting"' in waiting and "exam-config" not in waiting  # no paper yet
    token = second.csrf_token()
    assert second.post(f"{url}/answers", json={"saves": []}, headers={"X-CSRFToken": token}).status_code == 423
    assert _save(first, db, 1).status_code == 200  # the hall's own computer answers on
    seat_map = inv_a.get(f"/exam/halls/{hall_a.public_id}").get_data(as_text=True)
    assert 'data-testid="takeover-request"' in seat_map
    attempt = db.session.scalar(select(Attempt).filter_by(public_id=first[1]["attempt"]))
    assert two_halls["inv_b"].submit(f"/exam/halls/{hall_a.public_id}/takeovers/{attempt.public_id}").status_code \
        == 404  # not their hall
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/takeovers/{attempt.public_id}").status_code == 302
    assert "exam-config" in second.get(url).get_data(as_text=True)
    stopped = _save(first, db, 2)
    assert stopped.status_code == 409 and stopped.get_json()["taken_over"] is True
    record = db.session.scalar(select(IntegrityEvent).filter_by(kind="takeover"))
    assert "->" in record.detail and "approved by" in record.detail  # both addresses, and who let it


def test_the_invigilators_code_lets_the_new_computer_go_on(app, two_halls, db, frozen_clock):
    exam = two_halls["exam"]
    second, url = _second_device(app, two_halls["cands"]["a"], exam)
    attempt = db.session.scalar(select(Attempt).filter_by(public_id=two_halls["pages"]["a"][1]["attempt"]))
    code = services.takeover_code(attempt)
    assert code and len(code) == 6
    wrong = "000000" if code != "000000" else "111111"
    page = second.submit(f"{url}/takeover", {"code": wrong}, follow_redirects=True).get_data(as_text=True)
    assert 'data-testid="takeover-waiting"' in page
    assert "exam-config" in second.submit(f"{url}/takeover", {"code": code}, follow_redirects=True).get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).pending_device_token is None


def test_without_a_hall_a_takeover_happens_at_once(app, client, login_as, make_exam, db, frozen_clock):
    """An ad-hoc exam has no invigilator to ask: as before, the new device takes over at once."""
    user = login_as("candidate")
    exam = make_exam([user])
    assert client.submit(f"/exam/{exam.public_id}/start", {}).status_code == 302
    second, url = _second_device(app, user, exam)
    assert "exam-config" in second.get(url).get_data(as_text=True)


def test_the_invigilator_unlocks_sign_in_for_their_hall_only(app, two_halls, db, frozen_clock):
    """Issue 12 M7: an unlock by the invigilator, for a candidate in their own hall."""
    a_cand, b_cand = two_halls["cands"]["a"], two_halls["cands"]["b"]
    for user in (a_cand, b_cand):
        locked = app.test_client()
        for _ in range(5):
            locked.submit("/login", {"username": user.username, "password": "wrong-password-1"})
        assert locked.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 429
    inv_a, hall_a = two_halls["inv_a"], two_halls["a"]
    page = inv_a.get(f"/exam/halls/{hall_a.public_id}").get_data(as_text=True)
    assert page.count('data-testid="unlock-sign-in"') == 1  # only the seat in this hall
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/unlock/{b_cand.username}").status_code == 302
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/unlock/{a_cand.username}").status_code == 302
    assert app.test_client().submit("/login", {"username": a_cand.username, "password": PASSWORD}).status_code == 302
    assert app.test_client().submit("/login", {"username": b_cand.username, "password": PASSWORD}).status_code == 429


def test_the_invigilator_acts_on_seats_of_their_hall_only(two_halls, db, frozen_clock):
    """Compensation for one hall, force-submit and reopen on a seat, and the incident log, all
    scoped to the invigilator's hall."""
    from core.audit import AuditLog

    hall_a, inv_a, inv_b = two_halls["a"], two_halls["inv_a"], two_halls["inv_b"]
    attempts = {a.hall_id: a for a in db.session.scalars(select(Attempt))}
    a_attempt, b_attempt = attempts[hall_a.id], attempts[two_halls["b"].id]
    before = {a.id: a.deadline for a in attempts.values()}
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/compensate",
                        {"minutes": "5", "reason": "网络中断"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Attempt, a_attempt.id).deadline == before[a_attempt.id] + timedelta(minutes=5)
    assert db.session.get(Attempt, b_attempt.id).deadline == before[b_attempt.id]  # the other hall: untouched
    url_b = f"/exam/halls/{hall_a.public_id}/attempts/{b_attempt.public_id}/force-submit"
    assert inv_a.submit(url_b, {"reason": "x"}).status_code == 404  # an attempt of another hall
    assert inv_b.submit(f"/exam/halls/{hall_a.public_id}/attempts/{a_attempt.public_id}/force-submit",
                        {"reason": "x"}).status_code == 404  # someone else's hall
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/attempts/{a_attempt.public_id}/force-submit",
                        {"reason": "作弊"}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Attempt, a_attempt.id).open
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/attempts/{a_attempt.public_id}/reopen",
                        {"minutes": "10", "reason": "误操作"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Attempt, a_attempt.id).open
    incident = {"seat": "1", "text": "考生身体不适"}
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/incidents", incident).status_code == 302
    assert inv_b.submit(f"/exam/halls/{hall_a.public_id}/incidents", {"text": "x"}).status_code == 404
    page = inv_a.get(f"/exam/halls/{hall_a.public_id}").get_data(as_text=True)
    assert "考生身体不适" in page
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "exam.hall_incident")).comment == "考生身体不适"
    assert "考生身体不适" not in inv_b.get(f"/exam/halls/{two_halls['b'].public_id}").get_data(as_text=True)


def test_the_hall_report_is_a_pdf_with_seats_pauses_incidents_and_signatures(two_halls, db, frozen_clock):
    import io

    from pypdf import PdfReader

    hall_a, inv_a = two_halls["a"], two_halls["inv_a"]
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/pause", {"reason": "停电"}).status_code == 302
    frozen_clock.advance(minutes=2)
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/resume", {}).status_code == 302
    assert inv_a.submit(f"/exam/halls/{hall_a.public_id}/incidents", {"seat": 1, "text": "考生举手报告鼠标失灵"}
                        ).status_code == 302
    response = inv_a.get(f"/exam/halls/{hall_a.public_id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    compact = text.replace(" ", "")
    assert "考场记录" in compact and "第一考场" in compact
    assert two_halls["cands"]["a"].full_name.replace(" ", "") in compact
    assert two_halls["cands"]["b"].full_name.replace(" ", "") not in compact  # the hall next door is not here
    assert "暂停" in compact and "停电" in compact and "2分0秒" in compact and "鼠标失灵" in compact
    assert "监考员签字" in compact and "应考1人" in compact and "实考1人" in compact
    assert two_halls["inv_b"].get(f"/exam/halls/{hall_a.public_id}/report.pdf").status_code == 404


def test_seat_photos_show_to_the_hall_s_invigilators_only(two_halls, db, tmp_path):
    hall_a = two_halls["a"]
    username = two_halls["cands"]["a"].username
    # No enrolment photo for an ad-hoc roster: nothing to show, and the route says so.
    assert two_halls["inv_a"].get(f"/exam/halls/{hall_a.public_id}/photos/{username}").status_code == 404
    assert two_halls["inv_b"].get(f"/exam/halls/{hall_a.public_id}/photos/{username}").status_code == 404
    other = two_halls["cands"]["b"].username
    assert two_halls["inv_a"].get(f"/exam/halls/{hall_a.public_id}/photos/{other}").status_code == 404
