"""Insecure direct object references: a signed-in user who puts somebody else's object in the URL
is refused (403) and not one row of the database changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from accounts import services as accounts
from certificates import services as certificates
from core import clock, uploads
from exam import services as exam
from exam.models import Attempt
from registration import services as registration
from registration.models import Registration
from scoring import services as scoring
from scoring import video
from scoring.models import TeachingVideo
from tests.conftest import PASSWORD
from tests.registration.conftest import form_data, make_id
from tests.scoring.conftest import station
from tests.security.conftest import changed_tables, sign_in, snapshot

# --- exam attempts ------------------------------------------------------------------------------


@pytest.fixture
def attempt_pair(db, client, create_user, make_exam, frozen_clock):
    """Two candidates on one exam. The owner is answering (one saved answer); the intruder has
    started their own attempt in `client` and so holds a device token of their own."""
    owner, intruder = create_user("candidate"), create_user("candidate")
    paper_exam = make_exam([owner, intruder])
    attempt = exam.start_attempt(
        db.session,
        exam=paper_exam,
        user=owner,
        now=clock.now(),
        access_code="",
        device_token="owner-device",
    )
    item = attempt.paper.items[0]
    exam.save_answers(
        db.session,
        attempt=attempt,
        device_token="owner-device",
        now=clock.now(),
        saves=[{"item": item.id, "response": None, "seq": 1, "flagged": True}],
    )
    db.session.commit()
    sign_in(client, intruder)
    assert client.submit(f"/exam/{paper_exam.public_id}/start").status_code == 302
    return {"exam": paper_exam, "attempt": attempt, "owner": owner, "item": item.id}


@pytest.mark.parametrize(
    "suffix,body",
    [
        ("answers", lambda item: {"saves": [{"item": item, "response": "A", "seq": 2}]}),
        ("events", lambda item: {"events": ["hidden", "visible"]}),
        ("challenges", lambda item: {"item": item, "note": "这道题的答案有误"}),
        ("submit", None),
    ],
    ids=["save", "integrity-events", "challenge", "submit"],
)
def test_candidate_cannot_write_to_anothers_attempt(client, db, attempt_pair, suffix, body):
    url = f"/exam/attempts/{attempt_pair['attempt'].public_id}/{suffix}"
    token = client.csrf_token()
    before = snapshot(db)
    if body is None:
        response = client.post(url, data={"csrf_token": token})
    else:
        response = client.post(url, json=body(attempt_pair["item"]), headers={"X-CSRFToken": token})
    assert response.status_code == 403, response.get_data(as_text=True)[:300]
    assert changed_tables(before, snapshot(db)) == []


def test_candidate_cannot_read_anothers_released_result(
    client, db, browser, attempt_pair, frozen_clock
):
    attempt = attempt_pair["attempt"]
    exam.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    for other in db.session.scalars(select(Attempt).where(Attempt.id != attempt.id)):
        exam.submit(db.session, attempt=other, now=clock.now(), by="candidate")
    exam.release_results(db.session, exam=attempt_pair["exam"], actor=None, now=clock.now())
    db.session.commit()
    url = f"/exam/attempts/{attempt.public_id}/result"
    assert browser(attempt_pair["owner"]).get(url).status_code == 200  # the owner reads it
    response = client.get(url)
    assert response.status_code == 403
    assert "示例解析" not in response.get_data(as_text=True)


# --- registrations ------------------------------------------------------------------------------


@pytest.fixture
def forms(db, draft, staff, create_user, frozen_clock):
    """Forms of centre A (`staff`): a draft, two submitted for review, one enrolled."""
    admin = create_user("admin")
    made = {
        "draft": draft(),
        "submitted": draft(full_name="李四", id_number=make_id(seq="21")),
        "enrolled": draft(full_name="王五", id_number=make_id(seq="22")),
        "approvable": draft(full_name="赵六", id_number=make_id(seq="23")),
    }
    steps = {
        "submitted": [("submit", staff)],
        "approvable": [("submit", staff)],
        "enrolled": [
            ("submit", staff),
            ("centre_approve", staff),
            ("approve", admin),
            ("enrol", admin),
        ],
    }
    for name, actions in steps.items():
        for action, user in actions:
            registration.act(
                db.session, registration=made[name], action=action, user=user, now=clock.now()
            )
    db.session.commit()
    return made


def _edit_data(staff) -> dict:
    data = form_data(full_name="篡改的姓名", phone="13900000000")
    data = {k: str(v) for k, v in data.items() if v is not None}
    return {**data, "centre": staff.centre.public_id}


# The form each address is tried on (so that its owner could use it), the method, the address.
REGISTRATION_ROUTES = {
    "draft": [
        ("GET", "/registration/{id}", None),
        ("GET", "/registration/{id}/edit", None),
        ("POST", "/registration/{id}/edit", "EDIT"),
        ("GET", "/registration/{id}/photo", None),
        ("GET", "/registration/{id}/form.pdf", None),
        ("POST", "/registration/{id}/act/submit", {}),
        ("POST", "/registration/{id}/hours", {"hours_I1": "8"}),
    ],
    "submitted": [
        ("GET", "/registration/{id}/return", None),
        ("POST", "/registration/{id}/return", {"fix_phone": "y", "comment_phone": "错"}),
    ],
    "approvable": [("POST", "/registration/{id}/act/centre_approve", {"comment": "同意"})],
    "enrolled": [
        ("GET", "/registration/{id}/ticket.pdf", None),
        ("GET", "/scoring/videos/submit/{id}", None),
    ],
}


@pytest.mark.parametrize("state", list(REGISTRATION_ROUTES))
def test_others_cannot_reach_a_registration(db, browser, create_user, forms, staff, state):
    """An unrelated candidate and the staff of another centre are refused; the form's own centre
    reaches the same addresses (so the refusal is about who asks, not a wrong URL)."""
    intruders = [browser(create_user("candidate")), browser(create_user("centre_staff"))]
    owner = browser(staff)
    for method, template, data in REGISTRATION_ROUTES[state]:
        url = template.format(id=forms[state].public_id)
        data = _edit_data(staff) if data == "EDIT" else data
        for client in intruders:
            before = snapshot(db)
            response = client.get(url) if method == "GET" else client.submit(url, data)
            response.close()
            assert response.status_code == 403, (method, url, response.status_code)
            assert changed_tables(before, snapshot(db)) == [], (method, url)
        response = owner.get(url) if method == "GET" else owner.submit(url, data)
        response.close()
        assert response.status_code in (200, 302), (method, url, response.status_code)


def test_a_candidate_sees_only_their_own_registrations_in_the_list(
    client, db, forms, staff, create_user, frozen_clock
):
    own = registration.save_registration(
        db.session,
        registration=None,
        event=forms["draft"].event,
        centre=staff.centre,
        data=form_data(
            full_name="本人",
            id_number=make_id(date(1999, 9, 9), seq="31"),
            birth_date=date(1999, 9, 9),
        ),
        photo=None,
        user=create_user("candidate", username="applicant"),
        now=clock.now(),
    )
    db.session.commit()
    sign_in(client, own.applicant)
    page = client.get("/registration/").get_data(as_text=True)
    assert own.public_id in page
    assert not [r.full_name for r in forms.values() if r.public_id in page]


# --- scoring ------------------------------------------------------------------------------------


@pytest.fixture
def marking(db, panel, frozen_clock):
    """Two-person rule on. Referee 1 marks candidate 0, referee 2 candidate 1 (tasks 1 and 6);
    referee 2 has submitted every mark of task 1 for candidate 1."""
    scheme = panel["scheme"]
    task1, task6 = scheme.tasks[0], scheme.tasks[5]
    mine, theirs = panel["people"][0], panel["people"][1]
    scoring.set_two_person(db.session, scheme=scheme, enabled=True, actor=panel["admin"])
    for task in (task1, task6):
        for referee, person in ((panel["r1"], mine), (panel["r2"], theirs)):
            scoring.assign(
                db.session,
                task=task,
                referee=referee,
                stations=[station(db, task, person)],
                actor=panel["admin"],
            )
    ids = {a.code: a.id for a in task1.aspects}
    scoring.save_marks(
        db.session,
        task=task1,
        registration=theirs,
        referee=panel["r2"],
        entries={ids["1.1"]: ("9", None), ids["1.2"]: ("4", None), ids["1.3"]: ("2", None)},
        submit=True,
        now=clock.now(),
    )
    db.session.commit()
    return {**panel, "task1": task1, "task6": task6, "theirs": theirs, "ids": ids}


def test_referee_cannot_overwrite_or_add_to_an_unassigned_station(client, db, marking):
    task1, task6, theirs = marking["task1"], marking["task6"], marking["theirs"]
    ids = marking["ids"]
    sign_in(client, marking["r1"])
    foreign1 = f"/scoring/tasks/{task1.id}/stations/{station(db, task1, theirs)}"
    foreign6 = f"/scoring/tasks/{task6.id}/stations/{station(db, task6, theirs)}"
    attempts = [
        (
            foreign1,
            {
                f"aspect_{ids['1.1']}": "1",
                f"version_{ids['1.1']}": "1",
                f"aspect_{ids['1.2']}": "0",
                f"aspect_{ids['1.3']}": "0",
                "action": "submit",
            },
        ),
        (
            f"{foreign6}/violations",
            {"aspect": str(task6.aspects[0].id), "points": "2", "reason": "工位杂乱"},
        ),
    ]
    for url, data in attempts:
        before = snapshot(db)
        response = client.submit(url, data)
        assert response.status_code == 403, url
        assert changed_tables(before, snapshot(db)) == [], url


def test_referee_cannot_confirm_marks_at_an_unassigned_station(client, db, marking):
    """The confirm view reports the service's refusal as a message (not a 403): nothing changes."""
    task1, theirs = marking["task1"], marking["theirs"]
    sign_in(client, marking["r1"])
    before = snapshot(db)
    url = f"/scoring/tasks/{task1.id}/stations/{station(db, task1, theirs)}/confirm"
    response = client.submit(url, follow_redirects=True)
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert "您未被分配到该工位" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(db)) == []


@pytest.fixture
def teaching_video(db, panel, frozen_clock):
    """A video file of candidate 0; referee 2 is the event's only video expert."""
    person = panel["people"][0]
    name = f"{person.public_id}.mp4"
    (uploads.folder(video.FOLDER) / name).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    item = TeachingVideo(registration_id=person.id, file=name, submitted_at=clock.now())
    db.session.add(item)
    video.assign_expert(db.session, event=person.event, user=panel["r2"], actor=panel["admin"])
    db.session.commit()
    return item


def test_referee_who_is_not_an_expert_cannot_score_or_fetch_a_video(
    client, db, browser, panel, teaching_video
):
    base = f"/scoring/videos/{teaching_video.public_id}"
    scores = {
        "objectives": "15",
        "content": "20",
        "methods": "20",
        "process": "20",
        "media": "15",
        "evaluation": "10",
    }
    sign_in(client, panel["r1"])
    before = snapshot(db)
    for method, url in (
        ("GET", f"{base}/score"),
        ("POST", f"{base}/score"),
        ("GET", f"{base}/file"),
    ):
        response = client.get(url) if method == "GET" else client.submit(url, scores)
        response.close()
        assert response.status_code == 403, (method, url)
    assert changed_tables(before, snapshot(db)) == []
    assert browser(panel["r2"]).get(f"{base}/score").status_code == 200  # the expert may


def test_referee_without_a_station_cannot_sign_off_the_task(
    client, db, browser, panel, create_user, frozen_clock
):
    """The referee stage of a task's sign-off belongs to the referees who mark it; one with no
    station in the task (here: none in the event at all) is refused and nothing is recorded."""
    task, person = panel["scheme"].tasks[0], panel["people"][0]
    ids = {a.code: a.id for a in task.aspects}
    scoring.assign(
        db.session,
        task=task,
        referee=panel["r1"],
        stations=[station(db, task, person)],
        actor=panel["admin"],
    )
    scoring.save_marks(
        db.session,
        task=task,
        registration=person,
        referee=panel["r1"],
        entries={ids["1.1"]: ("12", None), ids["1.2"]: ("4", None), ids["1.3"]: ("3", None)},
        submit=True,
        now=clock.now(),
    )
    scoring.lock_task(db.session, task=task, chief=panel["chief"], now=clock.now())
    db.session.commit()
    sign_in(client, create_user("referee"))
    before = snapshot(db)
    url = f"/scoring/tasks/{task.id}/sign/referee"
    response = client.submit(url)
    assert response.status_code in (302, 403)
    assert changed_tables(before, snapshot(db)) == []
    assert browser(panel["r1"]).submit(url).status_code == 302  # the task's referee signs
    assert "sign_offs" in changed_tables(before, snapshot(db))


# --- certificates -------------------------------------------------------------------------------


@pytest.fixture
def issued(app, db, panel, final_results, frozen_clock):
    """Certificates of candidates 0 and 2 (both passed); both can sign in."""
    with app.test_request_context():
        certs = [
            certificates.issue(db.session, result=r, actor=panel["admin"], now=clock.now())
            for r in final_results
            if r.passed
        ]
    for cert in certs:
        accounts.set_password(
            db.session, user=cert.registration.user, password=PASSWORD, by_admin=False
        )
    db.session.commit()
    return certs


@pytest.mark.parametrize("suffix", [".pdf", ".json"])
def test_candidate_cannot_fetch_anothers_certificate(client, db, issued, suffix):
    """The holder of one certificate asks for the other's (the PDF is also covered, by status,
    in tests/certificates): refused, and nothing is rendered or stored."""
    target, own = issued
    sign_in(client, own.registration.user)
    before = snapshot(db)
    response = client.get(f"/certificates/{target.public_id}{suffix}")
    assert response.status_code == 403
    assert target.number not in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(db)) == []
    assert client.get(f"/certificates/{own.public_id}{suffix}").status_code == 200


def test_public_verify_page_shows_the_certificate_facts_and_nothing_else(app, client, issued):
    cert = issued[0]
    person: Registration = cert.registration
    with app.test_request_context():
        token = certificates.token(cert)
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert 'data-status="valid"' in page
    for shown in (cert.holder_name, cert.masked_id, cert.number):
        assert shown in page, shown
    private = {
        "ID number": person.id_number,
        "phone": person.phone,
        "e-mail": person.email,
        "employer": person.employer,
        "address": person.address,
        "username": person.user.username,
        "birth date": person.birth_date.isoformat(),
        "registration id": person.public_id,
        "other holder": issued[1].holder_name,
    }
    leaked = [label for label, value in private.items() if value and value in page]
    assert leaked == []
