"""Stored and reflected XSS: hostile text typed into questions, names, forms, marks and review
comments comes back on every page that shows it as text (escaped), never as markup; JSON carries
it as data with a JSON content type."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select

from accounts.models import TrainingCentre, User
from certificates import services as certificates
from certificates.models import Certificate, Publication, ResultStatus
from core import clock
from exam import admin as exam_admin
from exam import services as exam
from exam.models import Attempt, MultipleRule, ReviewPolicy
from question_bank import services as bank
from question_bank.models import Level, Question, QuestionStatus, QuestionType
from registration.models import Registration
from scoring import services as scoring
from tests.question_bank.test_views import FORM
from tests.registration.conftest import form_data, photo_bytes
from tests.scoring.conftest import station
from tests.security.conftest import IMG, SCRIPT, assert_escaped, sign_in

BREAKOUT = "</script>" + SCRIPT  # closes the exam page's JSON <script> block if not escaped


def check_pages(client, pages: dict[str, tuple[str, ...]]) -> None:
    """GET each URL (200) and check that each payload listed for it is escaped there."""
    for url, payloads in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = response.get_data(as_text=True)
        for payload in payloads:
            assert_escaped(page, payload, url)


# --- the question bank --------------------------------------------------------------------------


def test_question_text_is_escaped_on_bank_pages_and_in_exports(client, login_as, db):
    login_as("admin")
    hostile = {
        **FORM,
        "stem": SCRIPT + " STP 协议解决什么问题？",
        "option_A": IMG,
        "explanation": SCRIPT + IMG,
        "tags": IMG,
        "source": SCRIPT,
    }
    assert client.submit("/question-bank/new", hostile).status_code == 302
    question = db.session.scalar(select(Question))
    url = f"/question-bank/{question.public_id}"
    revised = {**hostile, "stem": SCRIPT + IMG + " STP 协议解决什么问题？"}
    assert client.submit(url, revised).status_code == 302
    check_pages(
        client,
        {
            "/question-bank/": (SCRIPT,),
            url: (SCRIPT, IMG),
            f"{url}/versions/1": (SCRIPT, IMG),
            f"{url}/versions/2": (SCRIPT, IMG),  # the diff shows the inserted text
            f"/question-bank/?{urlencode({'q': 'STP'})}": (SCRIPT,),
        },
    )

    exported = client.get("/question-bank/?format=json")
    assert exported.mimetype == "application/json"
    assert exported.headers["X-Content-Type-Options"] == "nosniff"
    item = exported.get_json()["questions"][0]
    assert item["stem"] == revised["stem"] and item["explanation"] == SCRIPT + IMG  # data, as typed

    root = ET.fromstring(client.get("/question-bank/?format=moodle").data)
    html = root.find(".//question[@type='multichoice']/questiontext/text").text
    option = root.find(".//question[@type='multichoice']/answer/text").text
    for text in (html, option):  # Moodle shows these as HTML: the markup must be escaped in them
        assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in option


# --- exam pages ---------------------------------------------------------------------------------


def _question(db, **data):
    return bank.create_question(
        db.session,
        data={"level": "junior", "difficulty": 2, "tags": [], "source": "test", **data},
        actor=None,
        status=QuestionStatus.ACTIVE,
    )


def _exam_of_one_each(db, admin, candidates):
    """An exam whose paper is exactly one single-choice and one fill-in question."""
    now = clock.now()
    fields = {
        "title": "理论考试",
        "event": "",
        "event_id": None,
        "level": Level.JUNIOR,
        "duration_minutes": 60,
        "opens_at": now - timedelta(minutes=5),
        "closes_at": now + timedelta(hours=2),
        "allow_overrun": False,
        "access_code": "",
        "shuffle_questions": False,
        "shuffle_options": False,
        "pass_score": Decimal("60"),
        "review_policy": ReviewPolicy.AFTER_RELEASE,
        "multiple_rule": MultipleRule.ALL_OR_NOTHING,
        "partial_fraction": Decimal("0.5"),
        "grace_seconds": 15,
    }
    made = exam_admin.save_exam(db.session, exam=None, fields=fields, actor=admin)
    for qtype in (QuestionType.SINGLE, QuestionType.FILL_BLANK):
        exam_admin.add_section(
            db.session,
            exam=made,
            type=qtype,
            title="",
            points=Decimal("5"),
            quotas=[{"count": 1}],
            actor=admin,
        )
    exam_admin.add_to_roster(
        db.session, exam=made, usernames=[c.username for c in candidates], actor=admin
    )
    exam.publish(db.session, exam=made, actor=admin, now=now)
    db.session.commit()
    return made


def test_exam_pages_escape_questions_answers_names_and_reports(
    client, browser, db, create_user, frozen_clock
):
    _question(
        db,
        type="single",
        module=1,
        stem=SCRIPT + " 交换机的作用？",
        answer="B",
        options=[
            {"key": "A", "text": IMG},
            {"key": "B", "text": "转发数据帧"},
            {"key": "C", "text": "分配地址"},
            {"key": "D", "text": "加密"},
        ],
        explanation=SCRIPT + IMG,
    )
    _question(
        db,
        type="fill_blank",
        module=2,
        stem=IMG + " OPC UA 的默认端口是 ____。",
        options=[],
        answer=[["4840"]],
        explanation="默认端口 4840。",
    )
    admin = create_user("admin")
    candidate = create_user("candidate", full_name=IMG)
    paper_exam = _exam_of_one_each(db, admin, [candidate])
    sign_in(client, candidate)
    attempt_url = client.submit(f"/exam/{paper_exam.public_id}/start").headers["Location"]
    attempt = db.session.scalar(select(Attempt))
    single, fill = attempt.paper.items
    token = client.csrf_token()
    saved = client.post(
        f"{attempt_url}/answers",
        headers={"X-CSRFToken": token},
        json={"saves": [{"item": fill.id, "response": [BREAKOUT], "seq": 1}]},
    )
    assert saved.status_code == 200 and saved.get_json()["acks"]
    reported = client.post(
        f"{attempt_url}/challenges",
        headers={"X-CSRFToken": token},
        json={"item": single.id, "note": SCRIPT},
    )
    assert reported.status_code == 200

    page = client.get(attempt_url).get_data(as_text=True)
    for payload in (SCRIPT, IMG):  # stem, option, fill-in stem, the candidate's own name
        assert_escaped(page, payload, "attempt page")
    assert "</script><script>" not in page  # the saved answer did not break out of the JSON block
    config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page, re.S)[1])
    assert config["answers"][str(fill.id)]["response"] == [BREAKOUT]

    proctor = browser(admin)
    base = f"/exam/admin/{paper_exam.public_id}"
    check_pages(
        proctor,
        {
            f"{base}/challenges": (SCRIPT,),
            f"{base}/monitor": (IMG,),
            f"{base}/attempts/{attempt.public_id}": (),
        },
    )
    monitor = proctor.get(f"{base}/monitor?format=json")
    assert monitor.mimetype == "application/json"
    assert monitor.headers["X-Content-Type-Options"] == "nosniff"
    assert monitor.get_json()["rows"][0]["name"] == IMG  # data, not markup

    client.submit(f"{attempt_url}/submit")
    exam.release_results(db.session, exam=paper_exam, actor=admin, now=clock.now())
    db.session.commit()
    check_pages(
        client,
        {
            f"{attempt_url}/result": (SCRIPT, IMG),  # the key, the explanation and the answer given
            "/exam/practice?module=1&level=junior": (SCRIPT, IMG),
        },
    )
    question = db.session.scalar(select(Question).order_by(Question.id))
    checked = client.submit("/exam/practice", {"question": question.public_id, "answer": "B"})
    assert checked.status_code == 200 and 'data-testid="practice-result"' in checked.get_data(as_text=True)
    assert_escaped(checked.get_data(as_text=True), SCRIPT + IMG, "practice explanation")


# --- registration forms and review comments ----------------------------------------------------


def test_registration_fields_and_review_comments_are_escaped(
    client, browser, db, event, staff, create_user, frozen_clock
):
    admin = create_user("admin")
    sign_in(client, staff)
    data = {k: str(v) for k, v in form_data().items() if v is not None}
    data.update(
        full_name=IMG,
        title=SCRIPT,
        employer=SCRIPT,
        address=IMG,
        resume=SCRIPT + IMG,
        training_history=IMG,
        centre=staff.centre.public_id,
        photo=(io.BytesIO(photo_bytes()), "photo.jpg"),
    )
    response = client.submit(
        f"/registration/events/{event.public_id}/apply", data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    form = db.session.scalar(select(Registration))
    assert form.full_name == IMG
    url = f"/registration/{form.public_id}"
    client.submit(f"{url}/act/submit")
    client.submit(f"{url}/act/centre_approve", {"comment": SCRIPT})
    reviewer = browser(admin)
    returned = reviewer.submit(f"{url}/return", {"fix_phone": "y", "comment_phone": IMG})
    assert returned.status_code == 302
    db.session.expire_all()
    assert form.state.value == "returned"

    check_pages(
        client,
        {
            "/registration/": (IMG,),
            url: (IMG, SCRIPT, SCRIPT + IMG),  # fields, the centre's comment, the correction asked
            f"{url}/edit": (IMG, SCRIPT),
        },
    )
    check_pages(
        reviewer,
        {
            "/registration/": (IMG,),
            f"/registration/?{urlencode({'q': IMG})}": (IMG,),
            url: (IMG, SCRIPT),
            "/registration/outbox": (IMG,),  # the e-mail asking for the correction
            "/admin/audit": (SCRIPT,),
        },
    )


# --- scoring: deductions, unlock reasons, names on the panel's pages ------------------------------


def test_referee_comments_and_names_are_escaped_on_scoring_pages(
    client, browser, db, panel, frozen_clock
):
    scheme, person = panel["scheme"], panel["people"][0]
    person.full_name = IMG
    task1, task6 = scheme.tasks[0], scheme.tasks[5]
    for task in (task1, task6):
        scoring.assign(
            db.session,
            task=task,
            referee=panel["r1"],
            stations=[station(db, task, person)],
            actor=panel["admin"],
        )
    ids = {a.code: a.id for a in task1.aspects}
    scoring.save_marks(
        db.session,
        task=task1,
        registration=person,
        referee=panel["r1"],
        entries={ids["1.1"]: ("12", None), ids["1.2"]: ("4", None), ids["1.3"]: ("3", None)},
        submit=True,
        now=clock.now(),
    )
    scoring.lock_task(db.session, task=task1, chief=panel["chief"], now=clock.now())
    db.session.commit()

    sign_in(client, panel["r1"])
    entry = f"/scoring/tasks/{task6.id}/stations/{station(db, task6, person)}"
    added = client.submit(
        f"{entry}/violations", {"aspect": str(task6.aspects[0].id), "points": "1", "reason": SCRIPT}
    )
    assert added.status_code == 302
    check_pages(client, {entry: (SCRIPT,)})

    supervisor = browser(panel["admin"])
    unlocked = supervisor.submit(f"/scoring/tasks/{task1.id}/unlock", {"reason": IMG})
    assert unlocked.status_code == 302
    event_id = scheme.event.public_id
    check_pages(
        supervisor,
        {
            f"/scoring/events/{event_id}": (IMG,),  # the sign-off table shows the unlock reason
            f"/scoring/events/{event_id}/candidates/{person.public_id}": (IMG, SCRIPT),
            "/admin/audit": (IMG,),
        },
    )


# --- certificates: the public pages and the administrator's ------------------------------------


def test_certificate_pages_escape_names_reasons_and_objections(
    app, client, browser, db, panel, final_results, frozen_clock
):
    holder = panel["people"][0]
    holder.full_name = IMG
    holder.centre.name = SCRIPT
    event = holder.event
    db.session.add(
        Publication(
            event_id=event.id, published_at=clock.now(), ends_at=clock.now() + timedelta(days=7)
        )
    )
    final_results[1].status = ResultStatus.PUBLISHED  # still open to objections
    with app.test_request_context():
        cert = certificates.issue(
            db.session, result=final_results[0], actor=panel["admin"], now=clock.now()
        )
        token = certificates.token(cert)
    db.session.commit()
    assert cert.holder_name == IMG

    supervisor = browser(panel["admin"])
    objected = supervisor.submit(
        f"/certificates/admin/results/{final_results[1].registration.public_id}/objection",
        {"reason": SCRIPT, "name": IMG, "contact": SCRIPT},
    )
    assert objected.status_code == 302
    from certificates.models import Objection

    objection = db.session.scalar(select(Objection))
    check_pages(supervisor, {"/certificates/admin/objections": (IMG,),
                             f"/certificates/admin/objections/{objection.public_id}": (IMG, SCRIPT)})
    check_pages(client, {f"/objections/{objection.public_id}": (SCRIPT,)})
    revoked = supervisor.submit(
        f"/certificates/admin/certificates/{cert.public_id}/revoke", {"reason": SCRIPT}
    )
    assert revoked.status_code == 302
    assert db.session.get(Certificate, cert.id).revoked_at is not None
    check_pages(supervisor, {f"/certificates/admin/{event.public_id}": (IMG, SCRIPT)})

    check_pages(
        client,
        {  # anonymous: the public pages
            f"/verify/{token}": (IMG, SCRIPT),  # the holder and the reason for the revocation
            f"/results/{event.public_id}": (SCRIPT,),  # the training centre
        },
    )
    found = client.submit("/verify", {"number": cert.number, "name": IMG})
    assert found.status_code == 302
    assert_escaped(client.get(found.headers["Location"]).get_data(as_text=True), IMG, "lookup")


# --- accounts -----------------------------------------------------------------------------------


def test_user_and_centre_names_are_escaped(client, browser, db, login_as):
    login_as("admin")
    assert (
        client.submit(
            "/admin/centres/new", {"code": "C-X", "name": SCRIPT, "active": "y"}
        ).status_code
        == 302
    )
    centre = db.session.scalar(select(TrainingCentre).filter_by(code="C-X"))
    created = client.submit(
        "/admin/users/new",
        {
            "username": "xss-staff",
            "full_name": IMG,
            "role": "centre_staff",
            "email": "",
            "centre": centre.public_id,
            "password": "Correct-horse-42",
            "active": "y",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    staff = db.session.scalar(select(User).filter_by(username="xss-staff"))
    check_pages(
        client,
        {
            "/admin/users": (IMG, SCRIPT),
            f"/admin/users/{staff.public_id}": (IMG,),
            "/admin/centres": (SCRIPT,),
            f"/admin/centres/{centre.public_id}": (SCRIPT,),
            "/admin/audit": (IMG,),
        },
    )
    staff.must_change_password = False
    db.session.commit()
    check_pages(browser(staff), {"/": (IMG,), "/centre": (IMG, SCRIPT)})


# --- reflected: what the address bar carries ----------------------------------------------------


REFLECTED = [  # (role, url, whether the page shows the value back)
    ("admin", "/question-bank/?" + urlencode({"q": IMG, "tag": IMG}), True),
    ("admin", "/admin/users?" + urlencode({"q": IMG}), True),
    ("admin", "/registration/?" + urlencode({"q": IMG}), True),
    ("admin", "/admin/audit?" + urlencode({"q": IMG, "actor": IMG, "action": IMG}), True),
    (None, "/" + quote(IMG), True),  # a 404 page: the path is echoed in the language form
    (None, "/login?" + urlencode({"next": IMG}), False),
]


@pytest.mark.parametrize(
    "role,url,shown", REFLECTED, ids=[u.split("?")[0] for _r, u, _s in REFLECTED]
)
def test_values_in_the_address_are_escaped(client, login_as, role, url, shown):
    if role:
        login_as(role)
    response = client.get(url)
    assert response.status_code in (200, 404)
    page = response.get_data(as_text=True)
    if shown:
        assert_escaped(page, IMG, url)
    else:
        assert IMG not in page and "<img src=x" not in page
