"""Objections and reviews during the publicity (issue 17): who may file what and when, the
answer's way back to the filer, the practical review through the chief referee, and finality."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from accounts import services as accounts
from certificates import objections, results
from certificates.models import Objection, ObjectionKind, ObjectionStatus, Result, ResultStatus
from core import clock
from core.audit import AuditLog as AuditEntry
from core.errors import DomainError, NotAllowed
from core.notify import Notification
from scoring import services as scoring
from tests.conftest import PASSWORD
from tests.scoring.conftest import station


@pytest.fixture
def published(db, panel, frozen_clock):
    """The panel's three results, in publicity from 1 June 2026 (ends 8 June, 5 working days)."""
    event = panel["scheme"].event
    results.compute(db.session, event=event, actor=panel["admin"], now=clock.now())
    for row in db.session.scalars(select(Result)):
        row.total, row.theory, row.practical, row.passed = D(75), D(70), D(80), True
    results.publish(db.session, event=event, actor=panel["admin"], now=clock.now())
    for person in panel["people"]:
        accounts.set_password(db.session, user=person.user, password=PASSWORD, by_admin=False)
    db.session.commit()
    return {p.id: db.session.scalar(select(Result).filter_by(registration_id=p.id)) for p in panel["people"]}


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_candidate_objects_and_asks_for_reviews_of_their_own_result(db, panel, published):
    person = panel["people"][0]
    result = published[person.id]
    parts = dict(objections.parts(db.session, result))
    assert "theory" in parts and "task-1" in parts and len(parts) == 7  # theory + the six tasks
    objection = objections.file(db.session, result=result, kind=ObjectionKind.OBJECTION, part="task-3",
                                reason="总分与各项之和不符", filer=person.user, now=clock.now())
    assert objection.part == ""  # an objection is about the whole result
    assert objection.status is ObjectionStatus.RECEIVED and objection.filer_name == person.user.full_name
    assert objection.due_at > objection.raised_at  # 5 working days
    review = objections.file(db.session, result=result, kind=ObjectionKind.REVIEW, part="task-2", reason="请复核",
                             filer=person.user, now=clock.now())
    assert objections.part_label(review) == "实操任务 2"
    with pytest.raises(DomainError, match="已在等待答复"):  # the same part twice while unanswered
        objections.file(db.session, result=result, kind=ObjectionKind.REVIEW, part="task-2", reason="再次",
                        filer=person.user, now=clock.now())
    with pytest.raises(DomainError):  # a part the result has not
        objections.file(db.session, result=result, kind=ObjectionKind.REVIEW, part="task-9", reason="x",
                        filer=person.user, now=clock.now())
    with pytest.raises(DomainError):  # no reason
        objections.file(db.session, result=result, kind=ObjectionKind.OBJECTION, part="", reason="   ",
                        filer=person.user, now=clock.now())
    other = published[panel["people"][1].id]
    with pytest.raises(NotAllowed):  # someone else's result
        objections.file(db.session, result=other, kind=ObjectionKind.OBJECTION, part="", reason="x",
                        filer=person.user, now=clock.now())
    entries = db.session.scalars(select(AuditEntry).filter_by(action="results.objection")).all()
    assert len(entries) == 2 and {e.after["by"] for e in entries} == {"candidate"}


def test_nothing_is_filed_outside_the_publicity(db, panel, published, frozen_clock):
    person = panel["people"][0]
    result = published[person.id]
    frozen_clock.advance(days=7, minutes=1)  # the publicity ended on 8 June at 02:00
    with pytest.raises(DomainError, match="公示期已结束"):
        objections.file(db.session, result=result, kind=ObjectionKind.OBJECTION, part="", reason="太晚了",
                        filer=person.user, now=clock.now())
    result.status = ResultStatus.COMPUTED
    assert objections.window_problem(db.session, result, clock.now()) is not None
    assert _count(db, Objection) == 0


def test_the_public_objects_to_a_listed_entry_and_reads_the_answer(app, client, db, panel, published):
    event = panel["scheme"].event
    person = panel["people"][1]
    page = client.get(f"/results/{event.public_id}")
    assert f"/results/{event.public_id}/objection" in page.get_data(as_text=True)
    url = f"/results/{event.public_id}/objection"
    assert client.get(url).status_code == 200
    # Bad input: a number nobody has, no contact, an over-long reason: a message, nothing kept.
    bad = [{"candidate_number": "NOPE", "name": "王先生", "contact": "13800000000", "reason": "有误"},
           {"candidate_number": person.candidate_number, "name": "王先生", "contact": "", "reason": "有误"},
           {"candidate_number": person.candidate_number, "name": "王先生", "contact": "x", "reason": "长" * 1001}]
    for fields in bad:
        response = client.submit(url, fields)
        assert response.status_code == 400 and "invalid-feedback" in response.get_data(as_text=True)
    assert _count(db, Objection) == 0
    response = client.submit(url, {"candidate_number": person.candidate_number, "name": "王先生",
                                   "contact": "wang@example.com", "reason": "该选手实操成绩与现场不符"})
    assert response.status_code == 302
    receipt = response.headers["Location"]
    objection = db.session.scalar(select(Objection))
    assert receipt.endswith(f"/objections/{objection.public_id}")
    html = client.get(receipt).get_data(as_text=True)
    assert "已收到" in html and person.full_name not in html  # the entry's name masked, as on the list
    objections.answer(db.session, objection=objection, text="经复核，成绩无误。", actor=panel["admin"],
                      now=clock.now())
    db.session.commit()
    html = client.get(receipt).get_data(as_text=True)
    assert "经复核，成绩无误。" in html and "已答复" in html
    mail = db.session.scalars(select(Notification).filter_by(email="wang@example.com")).all()
    assert mail and "经复核，成绩无误。" in mail[-1].body
    # A member of the public cannot ask for a review (that is the candidate's).
    with pytest.raises(NotAllowed):
        objections.file(db.session, result=published[person.id], kind=ObjectionKind.REVIEW, part="theory",
                        reason="x", name="王", contact="1", now=clock.now())
    assert client.get("/objections/not-a-receipt").status_code == 404


def test_the_public_form_is_bounded_per_address(app, client, db, panel, published):
    event = panel["scheme"].event
    person = panel["people"][1]
    url = f"/results/{event.public_id}/objection"
    fields = {"candidate_number": person.candidate_number, "name": "王", "contact": "1380000", "reason": "有误"}
    for _n in range(app.config["OBJECTIONS_PER_ADDRESS"]):
        assert client.submit(url, fields).status_code == 302
    response = client.submit(url, fields)
    assert response.status_code == 400 and "过多" in response.get_data(as_text=True)
    assert _count(db, Objection) == app.config["OBJECTIONS_PER_ADDRESS"]


def test_the_candidate_files_from_the_results_page_and_sees_the_answer(client, db, panel, published, login):
    person = panel["people"][0]
    login(person.user.username)
    page = client.get("/my-results").get_data(as_text=True)
    url = f"/my-results/{person.public_id}/objection"
    assert url in page
    form = client.get(url).get_data(as_text=True)
    assert "实操任务 1" in form and "理论" in form
    response = client.submit(url, {"kind": "review", "part": "theory", "reason": "第 3 题答案应为 B"})
    assert response.status_code == 302
    objection = db.session.scalar(select(Objection))
    assert objection.kind is ObjectionKind.REVIEW and objection.part == "theory"
    page = client.get("/my-results").get_data(as_text=True)
    assert "第 3 题答案应为 B" in page and "已收到" in page
    # Another candidate's result is not theirs to object to.
    other = panel["people"][1]
    assert client.get(f"/my-results/{other.public_id}/objection").status_code == 404
    assert client.submit(f"/my-results/{other.public_id}/objection",
                         {"kind": "objection", "reason": "x"}).status_code == 404
    assert _count(db, Objection) == 1
    objections.answer(db.session, objection=objection, text="第 3 题答案为 C，维持原成绩。", actor=panel["admin"],
                      now=clock.now())
    db.session.commit()
    page = client.get("/my-results").get_data(as_text=True)
    assert "第 3 题答案为 C，维持原成绩。" in page
    inbox = db.session.scalars(select(Notification).filter_by(user_id=person.user.id)).all()
    assert any("维持原成绩" in n.body for n in inbox)


def test_a_practical_review_reopens_the_task_through_the_chief_referee(db, panel, published):
    """The review unlocks the task with the objection as its reason; the marks are changed and the
    task locked again; the result is revised from them; every step is in the trail."""
    person = panel["people"][0]
    result = published[person.id]
    task = panel["scheme"].tasks[0]
    scoring.assign(db.session, task=task, referee=panel["r1"], stations=[station(db, task, person)],
                   actor=panel["admin"])
    ids = {a.code: a.id for a in task.aspects}
    task.locked_at = clock.now()
    review = objections.file(db.session, result=result, kind=ObjectionKind.REVIEW, part=f"task-{task.number}",
                             reason="1.1 项漏计", filer=person.user, now=clock.now())
    objections.reopen_task(db.session, objection=review, actor=panel["admin"], now=clock.now())
    assert task.locked_at is None and review.status is ObjectionStatus.IN_REVIEW
    unlock = db.session.scalar(select(AuditEntry).filter_by(action="scoring.unlock"))
    assert "1.1 项漏计" in unlock.comment
    chief_inbox = db.session.scalars(select(Notification).filter_by(user_id=panel["chief"].id)).all()
    assert any("任务 1" in n.subject for n in chief_inbox)
    with pytest.raises(DomainError, match="仍未锁定"):  # revised only once every task is locked again
        objections.revise(db.session, objection=review, actor=panel["admin"], now=clock.now())
    scoring.save_marks(db.session, task=task, registration=person, referee=panel["r1"], now=clock.now(),
                       entries={ids["1.1"]: ("12", None), ids["1.2"]: ("4", None), ids["1.3"]: ("3", None)},
                       submit=True)
    for each in panel["scheme"].tasks:
        each.locked_at = clock.now()
    change = objections.revise(db.session, objection=review, actor=panel["admin"], now=clock.now())
    assert change["before"]["practical"] == D(80) and change["after"]["practical"] != D(80)
    assert result.status is ResultStatus.PUBLISHED
    assert db.session.scalar(select(AuditEntry).filter_by(action="results.revise")) is not None
    objections.answer(db.session, objection=review, text="1.1 项已补计，成绩已更正。", actor=panel["admin"],
                      now=clock.now())
    assert review.status is ObjectionStatus.ANSWERED
    with pytest.raises(DomainError):
        objections.answer(db.session, objection=review, text="again", actor=panel["admin"], now=clock.now())


def test_a_result_becomes_final_only_when_every_objection_is_answered(app, db, panel, published, frozen_clock):
    person = panel["people"][0]
    result = published[person.id]
    first = objections.file(db.session, result=result, kind=ObjectionKind.OBJECTION, part="", reason="一",
                            filer=person.user, now=clock.now())
    second = objections.file(db.session, result=result, kind=ObjectionKind.REVIEW, part="theory", reason="二",
                             filer=person.user, now=clock.now())
    db.session.commit()
    frozen_clock.advance(days=8)
    results.finalise(db.session, now=clock.now())
    assert result.status is ResultStatus.PUBLISHED  # two open
    objections.start_review(db.session, objection=first, actor=panel["admin"], now=clock.now())
    objections.answer(db.session, objection=first, text="已核", actor=panel["admin"], now=clock.now())
    assert result.status is ResultStatus.PUBLISHED  # one still in review
    objections.answer(db.session, objection=second, text="已核", actor=panel["admin"], now=clock.now())
    assert result.status is ResultStatus.FINAL  # the last answer after the publicity: final at once
    others = [published[p.id] for p in panel["people"][1:]]
    assert all(r.status is ResultStatus.FINAL for r in others)


def test_the_administrators_queue_and_review_page(client, db, panel, published, login):
    person = panel["people"][0]
    result = published[person.id]
    review = objections.file(db.session, result=result, kind=ObjectionKind.REVIEW, part="theory", reason="第 3 题",
                             filer=person.user, now=clock.now())
    db.session.commit()
    login(panel["admin"].username)
    queue = client.get("/certificates/admin/objections").get_data(as_text=True)
    assert review.public_id in queue and person.full_name in queue
    url = f"/certificates/admin/objections/{review.public_id}"
    assert client.get(url).status_code == 200
    assert client.submit(f"{url}/start").status_code == 302
    db.session.refresh(review)
    assert review.status is ObjectionStatus.IN_REVIEW and review.reviewer_id == panel["admin"].id
    assert client.submit(f"{url}/answer", {"answer": ""}).status_code == 302
    db.session.refresh(review)
    assert review.status is ObjectionStatus.IN_REVIEW  # an empty answer changes nothing
    assert client.submit(f"{url}/nonsense").status_code == 404
    assert client.submit(f"{url}/answer", {"answer": "第 3 题维持原判。"}).status_code == 302
    db.session.refresh(review)
    assert review.status is ObjectionStatus.ANSWERED
    # The administrator records an objection that came by telephone; it goes to the same queue.
    response = client.submit(f"/certificates/admin/results/{person.public_id}/objection",
                             {"reason": "电话：对实操成绩有异议", "name": "家长", "contact": "13900000000"})
    assert response.status_code == 302
    recorded = db.session.scalar(select(Objection).where(Objection.id != review.id))
    assert recorded.filed_by_id == panel["admin"].id and recorded.filer_name == "家长"
    assert client.submit(f"/certificates/admin/results/{person.public_id}/objection", {"reason": ""}) \
        .status_code == 302
    assert _count(db, Objection) == 2


def test_the_review_page_shows_the_answered_paper(db, panel, make_exam, frozen_clock, client, login):
    from exam import services as exam_services

    event = panel["scheme"].event
    person = panel["people"][0]
    exam = make_exam([person.user], level="intermediate")
    exam.event_id = event.id
    attempt = exam_services.start_attempt(db.session, exam=exam, user=person.user, now=clock.now(),
                                          access_code="", device_token="d")
    item = attempt.paper.items[0]
    exam_services.save_answers(db.session, attempt=attempt, device_token="d", now=clock.now(),
                               saves=[{"item": item.id, "response": item.version.answer, "seq": 1}])
    exam_services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    results.compute(db.session, event=event, actor=panel["admin"], now=clock.now())
    results.publish(db.session, event=event, actor=panel["admin"], now=clock.now())
    result = db.session.scalar(select(Result).filter_by(registration_id=person.id))
    review = objections.file(db.session, result=result, kind=ObjectionKind.REVIEW, part="theory", reason="请复核",
                             filer=person.user, now=clock.now() + timedelta(minutes=1))
    db.session.commit()
    login(panel["admin"].username)
    html = client.get(f"/certificates/admin/objections/{review.public_id}").get_data(as_text=True)
    assert 'data-testid="answered-paper"' in html
    assert html.count("<tr class=") == len(attempt.paper.items)  # every item of the paper
