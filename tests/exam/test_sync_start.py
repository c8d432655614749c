"""The synchronized start (issue 13, part 3): a hall starts at a fixed time; its candidates enter a
waiting room beforehand, where the attempt is made and the paper is already on their computer,
sealed with the hall's key; the key is handed out from the start and never before, by an endpoint
that needs no session and writes nothing; everyone's time runs from the hall's start."""

import json
import re
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select

from core import clock
from core.errors import DomainError
from exam import halls, seal, services
from exam.models import Answer, AnswerEvent, Attempt, IntegrityEvent
from tests.conftest import PASSWORD
from tests.exam.test_views import config_of


def _browser(app, user):
    client = app.test_client()
    assert client.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def _sealed(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="exam-sealed">(.*?)</script>', page, re.S)[1])


def _paper(page: str) -> str:
    return re.search(r'<div id="paper">(.*?)</div>\s*\n\s*<dialog', page, re.S)[1]


@pytest.fixture
def hall_at_nine(app, db, create_user, make_exam, frozen_clock):
    """A hall starting in 20 minutes, two candidates seated (one with 10 minutes' extra time)."""
    first, second = create_user("candidate"), create_user("candidate")
    exam = make_exam([first, second], opens=-10, closes=180)
    admin = create_user("admin")
    hall = halls.add_hall(db.session, exam=exam, name="第一考场", room="A101", seats=30, actor=admin)
    halls.seat(db.session, hall=hall, usernames=[first.username, second.username], actor=admin)
    services.grant_extra_time(db.session, exam=exam, user=second, minutes=10, reason="听障考生", actor=admin,
                              now=clock.now())
    starts = clock.now() + timedelta(minutes=20)
    halls.set_start(db.session, hall=hall, starts_at=starts, actor=admin, now=clock.now())
    db.session.commit()
    return {"exam": exam, "hall": hall, "starts": starts, "admin": admin, "first": first, "second": second}


def test_the_waiting_room_holds_the_paper_sealed_and_the_key_comes_at_the_start(app, db, hall_at_nine, frozen_clock):
    exam, starts = hall_at_nine["exam"], hall_at_nine["starts"]
    client = _browser(app, hall_at_nine["first"])
    response = client.submit(f"/exam/{exam.public_id}/start", {})
    assert response.status_code == 302
    attempt = db.session.scalar(select(Attempt).filter_by(user_id=hall_at_nine["first"].id))
    # Made at the waiting room, its time from the hall's start: start + duration.
    assert attempt.started_at == starts and attempt.deadline == starts + timedelta(minutes=exam.duration_minutes)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="waiting-room"' in page
    config, box = config_of(page), _sealed(page)
    assert config["remaining"] == exam.duration_minutes * 60  # the whole time, however early
    stems = [item.version.stem for item in attempt.paper.items]
    assert not any(stem in page for stem in stems)  # not one question in clear
    # The key endpoint: before the start a 425 saying how long, no key; a forged token: nothing.
    early = client.get(config["key_url"])
    assert early.status_code == 425 and "key" not in early.get_json()
    assert early.get_json()["starts_in_ms"] == 20 * 60 * 1000 + 1
    forged = re.sub(r"t=[0-9a-f]+", "t=" + "0" * 32, config["key_url"])
    assert client.get(forged).status_code == 404
    # The waiting room takes no answers and writes nothing.
    item = attempt.paper.items[0].id
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Answer, AnswerEvent, IntegrityEvent)]
    refused = client.post(config["save_url"], json={"saves": [{"item": item, "response": None, "seq": 1}]},
                          headers={"X-CSRFToken": client.csrf_token()})
    assert refused.status_code == 425
    assert counts == [db.session.scalar(select(func.count()).select_from(m)) for m in (Answer, AnswerEvent,
                                                                                         IntegrityEvent)]
    # At the start: the key, from a client with no session at all.
    frozen_clock.now = starts
    frozen_clock.advance(seconds=0)
    stranger = app.test_client()
    answer = stranger.get(config["key_url"])
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    key = answer.get_json()["key"]
    opened = seal.unseal(box, key, bound_to=attempt.public_id)
    with pytest.raises(InvalidTag):  # bound to this attempt: not another's
        seal.unseal(box, key, bound_to="someone-else")
    # What the seal held is exactly the paper a page opened after the start shows in clear.
    later = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="waiting-room"' not in later
    assert opened.strip() == _paper(later).strip()
    assert all(stem in opened for stem in stems)
    assert client.post(config["save_url"], json={"saves": [{"item": item, "response": None, "seq": 1}]},
                       headers={"X-CSRFToken": client.csrf_token()}).status_code == 200


def test_everyone_s_time_runs_from_the_hall_s_start(app, db, hall_at_nine, frozen_clock):
    exam, starts = hall_at_nine["exam"], hall_at_nine["starts"]
    _browser(app, hall_at_nine["second"]).submit(f"/exam/{exam.public_id}/start", {})
    frozen_clock.now = starts + timedelta(minutes=7)  # the first candidate arrives late
    frozen_clock.advance(seconds=0)
    _browser(app, hall_at_nine["first"]).submit(f"/exam/{exam.public_id}/start", {})
    by_user = {a.user_id: a for a in db.session.scalars(select(Attempt))}
    late, early = by_user[hall_at_nine["first"].id], by_user[hall_at_nine["second"].id]
    assert late.deadline == starts + timedelta(minutes=60)  # late arrivals lose the time
    assert early.deadline == starts + timedelta(minutes=70)  # extra time counts from the hall's start


def test_the_waiting_room_opens_half_an_hour_before(app, db, hall_at_nine, frozen_clock):
    exam, hall, admin = hall_at_nine["exam"], hall_at_nine["hall"], hall_at_nine["admin"]
    halls.set_start(db.session, hall=hall, starts_at=clock.now() + timedelta(minutes=45), actor=admin,
                    now=clock.now())
    db.session.commit()
    client = _browser(app, hall_at_nine["first"])
    client.submit(f"/exam/{exam.public_id}/start", {})
    assert db.session.scalar(select(func.count(Attempt.id))) == 0
    assert "候考室" in client.get("/exam/").get_data(as_text=True)  # the flash says when it opens
    frozen_clock.advance(minutes=16)
    assert client.submit(f"/exam/{exam.public_id}/start", {}).status_code == 302
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_moving_the_start_moves_the_waiting_attempts_and_a_started_hall_stays(app, db, hall_at_nine, frozen_clock):
    exam, hall, admin, starts = (hall_at_nine[k] for k in ("exam", "hall", "admin", "starts"))
    _browser(app, hall_at_nine["first"]).submit(f"/exam/{exam.public_id}/start", {})
    later = starts + timedelta(minutes=15)
    assert halls.set_start(db.session, hall=hall, starts_at=later, actor=admin, now=clock.now()) == 1
    attempt = db.session.scalar(select(Attempt))
    assert attempt.started_at == later and attempt.deadline == later + timedelta(minutes=60)
    with pytest.raises(DomainError, match="尚未开考"):  # a pause before the start makes no sense
        halls.pause(db.session, hall=hall, reason="x", actor=admin, now=clock.now())
    frozen_clock.now = later + timedelta(seconds=1)
    frozen_clock.advance(seconds=0)
    with pytest.raises(DomainError, match="已开考"):
        halls.set_start(db.session, hall=hall, starts_at=later + timedelta(minutes=5), actor=admin, now=clock.now())


def test_the_seat_map_shows_who_waits(app, db, hall_at_nine, create_user):
    exam, hall = hall_at_nine["exam"], hall_at_nine["hall"]
    _browser(app, hall_at_nine["first"]).submit(f"/exam/{exam.public_id}/start", {})
    invigilator = create_user("invigilator")
    halls.assign_invigilator(db.session, hall=hall, user=invigilator, actor=hall_at_nine["admin"])
    db.session.commit()
    seats = _browser(app, invigilator).get(f"/exam/halls/{hall.public_id}?format=json").get_json()["seats"]
    states = {s["username"]: s["state"] for s in seats}
    assert states == {hall_at_nine["first"].username: "waiting", hall_at_nine["second"].username: "absent"}


def test_the_hall_settings_page_sets_the_start(app, db, hall_at_nine, frozen_clock):
    hall, admin = hall_at_nine["hall"], hall_at_nine["admin"]
    client = _browser(app, admin)
    url = f"/exam/admin/halls/{hall.public_id}/settings"
    assert client.get(url).status_code == 200
    # The form takes local time (Asia/Shanghai): 10:30 local is 02:30 UTC, within the window.
    assert client.submit(url, {"starts_at": "2026-06-01T10:30"}).status_code == 302
    db.session.refresh(hall)
    assert hall.starts_at.isoformat() == "2026-06-01T02:30:00+00:00"
    refused = client.submit(url, {"starts_at": "2026-06-01T09:00"})  # in the past
    assert refused.status_code == 200 and hall.starts_at.isoformat() == "2026-06-01T02:30:00+00:00"
    bad = client.submit(url, {"starts_at": "2026-06-01T10:30", "own_integrity": "y", "allowed_networks": "10.0.0/33"})
    assert bad.status_code == 200
    db.session.refresh(hall)
    assert hall.allowed_networks is None


def test_the_key_s_fast_path_and_its_flask_route_answer_alike(app, db, hall_at_nine, frozen_clock):
    """exam/startkey.py answers before Flask; the route exam.hall_key answers the same without it,
    and neither touches the session."""
    from exam.startkey import StartKeyMiddleware

    hall, starts = hall_at_nine["hall"], hall_at_nine["starts"]
    url = f"/exam/halls/{hall.public_id}/key?t={seal.key_token(app.config['SECRET_KEY'], hall.public_id)}"
    assert isinstance(app.wsgi_app, StartKeyMiddleware)

    def both():
        fast = app.test_client().get(url)
        middleware, app.wsgi_app = app.wsgi_app, app.wsgi_app.next
        try:
            slow = app.test_client().get(url)
        finally:
            app.wsgi_app = middleware
        for response in (fast, slow):
            assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "private, no-store"
        return (fast.status_code, fast.get_json()), (slow.status_code, slow.get_json())

    fast, slow = both()
    assert fast == slow and fast[0] == 425
    frozen_clock.now = starts
    frozen_clock.advance(seconds=0)
    fast, slow = both()
    assert fast == slow and fast[0] == 200 and fast[1]["key"] == hall.paper_key
    assert app.test_client().get(url.replace(hall.public_id, "x" * 22)).status_code == 404
    assert app.test_client().post(url).status_code in (400, 405)  # only GET takes the fast path
