"""The attempt gate (exam/gate.py): every candidate endpoint about an attempt, in every state the
gate knows (open, in grace, paused by the hall, before the hall's start, closed, overdue, taken
over, waiting for approval), answers as it should, and a refused request writes nothing (issue 13, part 1). Today
the events and challenge endpoints took writes after the deadline until the sweep closed the
attempt; and no endpoint repeats the deadline rule."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from exam import halls, rules, services
from exam.models import Answer, AnswerEvent, Attempt, AttemptStatus, IntegrityEvent, ItemChallenge
from tests.exam.test_views import config_of, start_page

WRITES = (Answer, AnswerEvent, IntegrityEvent, ItemChallenge)


def _counts(db):
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in WRITES}


@pytest.fixture
def world(app, client, login_as, make_exam, db, frozen_clock):
    """A candidate's attempt, its page config, and a way to put it in each state."""
    user = login_as("candidate")
    exam = make_exam([user])
    hall = halls.add_hall(db.session, exam=exam, name="第一考场", room="A101", seats=30, actor=None)
    halls.seat(db.session, hall=hall, usernames=[user.username], actor=None)
    db.session.commit()
    url = start_page(client, exam)
    config = config_of(client.get(url).get_data(as_text=True))
    attempt = db.session.scalar(select(Attempt))
    item = next(i.id for i in attempt.paper.items if i.version.type.value == "true_false")

    def put(state):
        """Put the attempt in `state`; returns the browser whose requests are in that state."""
        if state in ("taken_over", "waiting"):
            other = app.test_client()
            from tests.conftest import PASSWORD

            other.submit("/login", {"username": user.username, "password": PASSWORD})
            assert other.submit(f"/exam/{exam.public_id}/start", {}).status_code == 302
            if state == "waiting":
                return other
            services.approve_takeover(db.session, attempt=db.session.get(Attempt, attempt.id), actor=None,
                                      now=clock.now())
            db.session.commit()
        elif state == "ready":  # the hall's synchronized start moved ahead: the attempt waits for it
            halls.set_start(db.session, hall=hall, starts_at=clock.now() + timedelta(minutes=5), actor=None,
                            now=clock.now())
            db.session.commit()
        elif state == "paused":
            halls.pause(db.session, hall=hall, reason="停电", actor=None, now=clock.now())
            db.session.commit()
        elif state == "grace":
            frozen_clock.now = attempt.deadline + timedelta(seconds=5)
            frozen_clock.advance(seconds=0)
        elif state == "overdue":
            frozen_clock.now = attempt.deadline + timedelta(seconds=exam.grace_seconds + 1)
            frozen_clock.advance(seconds=0)
        elif state == "closed":
            assert client.submit(f"{url}/submit").status_code == 302
        return client

    return {"url": url, "config": config, "item": item, "put": put, "exam": exam}


def _send(client, world, endpoint):
    config, item, url = world["config"], world["item"], world["url"]
    token = client.csrf_token()
    headers = {"X-CSRFToken": token}
    if endpoint == "page":
        return client.get(url)
    if endpoint == "save":
        return client.post(config["save_url"], json={"saves": [{"item": item, "response": True, "seq": 7}]},
                           headers=headers)
    if endpoint == "clock":
        return client.get(config["clock_url"])
    if endpoint == "events":
        return client.post(config["events_url"], json={"events": ["blur"]}, headers=headers)
    if endpoint == "challenge":
        return client.post(config["challenge_url"], json={"item": item, "note": "选项重复"}, headers=headers)
    if endpoint == "submit":
        return client.post(f"{url}/submit", data={"csrf_token": token})
    if endpoint == "receipt":
        return client.get(config["receipt_url"])
    if endpoint == "result":
        return client.get(f"{url}/result")
    raise AssertionError(endpoint)


# endpoint → state → (status, what the answer must hold)
EXPECT = {
    "page": {
        "ready": (200, "waiting-room"),
        "open": (200, "exam-config"), "grace": (200, "exam-config"), "closed": (302, "/receipt"),
             "overdue": (302, "/receipt"), "taken_over": (302, "/exam/"),
        "paused": (200, "exam-paused"), "waiting": (200, "takeover-waiting")},
    "save": {
        "ready": (425, '"error":425'),
        "open": (200, "acks"), "grace": (200, "acks"), "closed": (409, "closed"),
             "overdue": (409, "closed"), "taken_over": (409, "taken_over"),
        "paused": (423, '"error":423'), "waiting": (423, '"error":423')},
    "clock": {
        "ready": (200, "in_progress"),
        "open": (200, "in_progress"), "grace": (200, "in_progress"), "closed": (200, "submitted"),
              "overdue": (200, "auto_submitted"), "taken_over": (200, '"taken_over":true'),
        "paused": (200, '"paused":true'), "waiting": (200, "in_progress")},
    "events": {
        "ready": (425, '"error":425'),
        "open": (200, "ok"), "grace": (200, "ok"), "closed": (409, "closed"), "overdue": (409, "closed"),
               "taken_over": (409, "taken_over"),
        "paused": (423, '"error":423'), "waiting": (423, '"error":423')},
    "challenge": {
        "ready": (425, '"error":425'),
        "open": (200, "ok"), "grace": (200, "ok"), "closed": (409, "closed"),
                  "overdue": (409, "closed"), "taken_over": (409, "taken_over"),
        "paused": (423, '"error":423'), "waiting": (423, '"error":423')},
    "submit": {
        "ready": (425, "尚未开始"),
        "open": (302, "/receipt"), "grace": (302, "/receipt"), "closed": (302, "/receipt"),
               "overdue": (302, "/receipt"), "taken_over": (302, "/exam/"),
        "paused": (423, "监考员"), "waiting": (423, "批准")},
    "receipt": {
        "ready": (302, "/attempts/"),
        "open": (302, "/attempts/"), "grace": (302, "/attempts/"), "closed": (200, "data-testid=\"receipt\""),
                "overdue": (200, "data-testid=\"receipt\""), "taken_over": (302, "/attempts/"),
        "paused": (302, "/attempts/"), "waiting": (302, "/attempts/")},
    "result": {
        "ready": (404, ""),
        "open": (404, ""), "grace": (404, ""), "closed": (404, ""), "overdue": (404, ""),
               "taken_over": (404, ""),
        "paused": (404, ""), "waiting": (404, "")},
}
WRITING = {"save", "events", "challenge"}


@pytest.mark.parametrize("state", ["open", "grace", "paused", "ready", "closed", "overdue", "taken_over", "waiting"])
@pytest.mark.parametrize("endpoint", list(EXPECT))
def test_every_endpoint_in_every_state(client, db, world, state, endpoint):
    browser = world["put"](state)
    before = _counts(db)
    response = _send(browser, world, endpoint)
    status, holds = EXPECT[endpoint][state]
    body = response.get_data(as_text=True).replace(" ", "")
    where = response.headers.get("Location", "")
    assert response.status_code == status, (endpoint, state, body[:300])
    assert holds in (where if status == 302 else body), (endpoint, state, where, body[:300])
    after = _counts(db)
    if endpoint in WRITING and state in ("open", "grace"):
        assert after != before, "an accepted write wrote nothing"
    else:
        assert after == before, f"{endpoint} in {state} wrote {after} (was {before})"
    attempt = db.session.scalar(select(Attempt))
    if state == "overdue":  # whatever was asked, the gate closed the attempt at its deadline
        assert attempt.status is AttemptStatus.AUTO_SUBMITTED and attempt.submitted_at == attempt.deadline
    if state in ("taken_over", "waiting", "paused", "ready"):
        assert attempt.status is AttemptStatus.IN_PROGRESS  # refused, not closed


def test_deadline_and_grace_are_decided_in_one_rule():
    now = rules.attempt_state
    from datetime import UTC, datetime

    deadline = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    at = lambda s: deadline + timedelta(seconds=s)  # noqa: E731
    assert now(in_progress=True, deadline=deadline, grace_seconds=15, now=at(0)) is rules.AttemptState.OPEN
    assert now(in_progress=True, deadline=deadline, grace_seconds=15, now=at(1)) is rules.AttemptState.GRACE
    assert now(in_progress=True, deadline=deadline, grace_seconds=15, now=at(15)) is rules.AttemptState.GRACE
    assert now(in_progress=True, deadline=deadline, grace_seconds=15, now=at(16)) is rules.AttemptState.OVERDUE
    assert now(in_progress=True, deadline=deadline, grace_seconds=15, now=at(16),
               same_device=False) is rules.AttemptState.OVERDUE
    assert now(in_progress=True, deadline=deadline, grace_seconds=15, now=at(0),
               same_device=False) is rules.AttemptState.TAKEN_OVER
    assert now(in_progress=False, deadline=deadline, grace_seconds=15, now=at(0)) is rules.AttemptState.CLOSED


@pytest.mark.parametrize("state", ["open", "overdue"])
@pytest.mark.parametrize("endpoint", ["save", "clock", "events", "submit", "page"])
def test_one_commit_a_request(client, db, world, state, endpoint):
    """At most one commit a request, the gate's close included (the save endpoint had two)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    world["put"](state)
    commits = []

    def count(_session):
        commits.append(1)

    event.listen(Session, "after_commit", count)
    try:
        _send(client, world, endpoint)
    finally:
        event.remove(Session, "after_commit", count)
    assert len(commits) <= 1
