"""CSRF across the blueprints (tests/core/test_csrf.py covers sign-in, creating a user, sign-out
and the language switch; tests/exam/test_views.py the exam's autosave). A representative form of
each other blueprint, and the exam's other JSON endpoints: refused without the token, with the
message, and nothing changes; the same request with the token does change something."""

from __future__ import annotations

import pytest

from certificates import services as certificates
from core import clock
from exam import services as exam
from registration import services as registration
from scoring import services as scoring
from tests.scoring.conftest import station
from tests.security.conftest import changed_tables, sign_in, snapshot

EXPIRED = "表单已过期"


def _centre_form(request, client):
    admin = request.getfixturevalue("create_user")("admin")
    centre = request.getfixturevalue("create_user")("centre_staff").centre
    sign_in(client, admin)
    return (
        f"/admin/centres/{centre.public_id}",
        "form",
        {"code": centre.code, "name": "改过的名称", "active": "y"},
    )


def _registration_submit(request, client):
    form = request.getfixturevalue("draft")()
    sign_in(client, request.getfixturevalue("staff"))
    return f"/registration/{form.public_id}/act/submit", "form", {}


def _question_retire(request, client):
    question = request.getfixturevalue("create_question")("single")
    sign_in(client, request.getfixturevalue("create_user")("admin"))
    return (
        "/question-bank/bulk-status",
        "form",
        {"status": "retired", "question": [question.public_id]},
    )


def _exam_start(request, client):
    candidate = request.getfixturevalue("create_user")("candidate")
    paper_exam = request.getfixturevalue("make_exam")([candidate])
    sign_in(client, candidate)
    return f"/exam/{paper_exam.public_id}/start", "form", {}


def _started(request, client):
    candidate = request.getfixturevalue("create_user")("candidate")
    paper_exam = request.getfixturevalue("make_exam")([candidate])
    sign_in(client, candidate)
    location = client.submit(f"/exam/{paper_exam.public_id}/start").headers["Location"]
    attempt = exam.attempt_of(request.getfixturevalue("db").session, paper_exam, candidate)
    return location, attempt.paper.items[0].id


def _exam_events(request, client):
    url, _item = _started(request, client)
    return f"{url}/events", "json", {"events": ["hidden", "visible"]}


def _exam_challenge(request, client):
    url, item = _started(request, client)
    return f"{url}/challenges", "json", {"item": item, "note": "选项重复"}


def _scoring_draft(request, client):
    db, panel = request.getfixturevalue("db"), request.getfixturevalue("panel")
    task, person = panel["scheme"].tasks[0], panel["people"][0]
    scoring.assign(
        db.session,
        task=task,
        referee=panel["r1"],
        stations=[station(db, task, person)],
        actor=panel["admin"],
    )
    db.session.commit()
    sign_in(client, panel["r1"])
    aspect = task.aspects[0]
    return (
        f"/scoring/tasks/{task.id}/stations/{station(db, task, person)}",
        "form",
        {f"aspect_{aspect.id}": "8", "action": "draft"},
    )


def _certificate_revoke(request, client):
    app, db = request.getfixturevalue("app"), request.getfixturevalue("db")
    panel, results = request.getfixturevalue("panel"), request.getfixturevalue("final_results")
    with app.test_request_context():
        cert = certificates.issue(
            db.session, result=results[0], actor=panel["admin"], now=clock.now()
        )
    db.session.commit()
    sign_in(client, panel["admin"])
    return (
        f"/certificates/admin/certificates/{cert.public_id}/revoke",
        "form",
        {"reason": "信息有误"},
    )


def _registration_return(request, client):
    db, staff = request.getfixturevalue("db"), request.getfixturevalue("staff")
    form = request.getfixturevalue("draft")()
    registration.act(db.session, registration=form, action="submit", user=staff, now=clock.now())
    db.session.commit()
    sign_in(client, staff)
    return (
        f"/registration/{form.public_id}/return",
        "form",
        {"fix_phone": "y", "comment_phone": "电话打不通"},
    )


CASES = {
    "accounts: edit a centre": _centre_form,
    "registration: submit a form": _registration_submit,
    "registration: return for corrections": _registration_return,
    "question bank: retire questions": _question_retire,
    "exam: start": _exam_start,
    "exam: integrity events (JSON)": _exam_events,
    "exam: report a question (JSON)": _exam_challenge,
    "scoring: save marks": _scoring_draft,
    "certificates: revoke": _certificate_revoke,
}


@pytest.mark.parametrize("case", list(CASES))
def test_post_without_token_is_refused_and_changes_nothing(request, client, db, frozen_clock, case):
    url, kind, data = CASES[case](request, client)
    before = snapshot(db)
    if kind == "json":
        response = client.post(url, json=data)
        assert response.status_code == 400 and response.is_json
        assert EXPIRED in response.get_json()["message"]
    else:
        response = client.post(url, data=data)
        assert response.status_code == 400
        assert EXPIRED in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(db)) == []
    token = client.csrf_token()
    if kind == "json":
        accepted = client.post(url, json=data, headers={"X-CSRFToken": token})
    else:
        accepted = client.post(url, data={**data, "csrf_token": token})
    assert accepted.status_code in (200, 302)
    assert changed_tables(before, snapshot(db)) != []  # the same request with the token works


def test_a_token_in_the_query_string_is_not_accepted(client, db, draft, staff, frozen_clock):
    """Only the form field or the header carries the token, never the URL (it would leak)."""
    form = draft()
    sign_in(client, staff)
    token = client.csrf_token()
    before = snapshot(db)
    response = client.post(f"/registration/{form.public_id}/act/submit?csrf_token={token}")
    assert response.status_code == 400
    assert changed_tables(before, snapshot(db)) == []
