from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditLog
from core.errors import DomainError
from exam import services
from exam.models import Answer, AnswerEvent, AttemptStatus, ExamStatus, PaperItem
from question_bank import services as qb

DEVICE = "device-one"


def start(db, exam, user, device=DEVICE, code=""):
    attempt = services.start_attempt(db.session, exam=exam, user=user, now=clock.now(), access_code=code,
                                     device_token=device)
    db.session.commit()
    return attempt


def first_item(attempt, qtype):
    return next(i for i in attempt.paper.items if i.version.type.value == qtype)


def save(db, attempt, item, response, seq, device=DEVICE):
    result = services.save_answers(db.session, attempt=attempt, device_token=device, now=clock.now(),
                                   saves=[{"item": item.id, "response": response, "seq": seq}])
    db.session.commit()
    return result


def test_publication_generates_a_paper_per_candidate_and_they_differ(db, make_exam, create_user, frozen_clock):
    a, b = create_user("candidate"), create_user("candidate")
    exam = make_exam([a, b])
    assert exam.status is ExamStatus.PUBLISHED and len(exam.pool) == 28
    pa, pb = (services.attempt_of(db.session, exam, u) for u in (a, b))
    assert pa is None and pb is None  # nobody started yet, but the papers exist
    papers = {p.user_id: p for p in exam_papers(db, exam)}
    order_a = [(i.question_version_id, tuple(i.option_order)) for i in papers[a.id].items]
    order_b = [(i.question_version_id, tuple(i.option_order)) for i in papers[b.id].items]
    assert len(order_a) == len(order_b) == 18 and order_a != order_b
    # Any paper can be drawn again identically from its seed, for an audit.
    again = services.regenerate(db.session, papers[a.id])
    assert [(d.version_id, d.option_order) for d in again] == order_a


def exam_papers(db, exam):
    from exam.models import Paper

    return db.session.scalars(select(Paper).where(Paper.exam_id == exam.id)).all()


def test_blueprint_shortfall_is_named_and_blocks_publication(db, make_exam, candidate):
    from exam import admin
    from question_bank.models import QuestionType

    exam = make_exam([candidate], publish=False)
    admin.add_section(db.session, exam=exam, type=QuestionType.SINGLE, title="", points=Decimal(1),
                      quotas=[{"count": 3, "module": 2, "difficulty": 5}], actor=None)
    short = services.shortfalls(db.session, exam)
    assert len(short) == 1
    with pytest.raises(DomainError):
        services.publish(db.session, exam=exam, actor=None, now=clock.now())


def test_a_frozen_paper_survives_a_bank_edit(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    item = first_item(attempt, "single")
    old_stem = item.version.stem
    question = item.version.question
    data = dict(question.current_version.content(), stem="改写后的题干：这道题已经被编辑过了。")
    qb.revise_question(db.session, question=question, data=data, actor=None)
    db.session.commit()
    db.session.expire_all()
    assert question.current_version.number == 2
    assert db.session.get(PaperItem, item.id).version.stem == old_stem


def test_deadline_includes_extra_time_and_stops_at_the_window(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate], closes=30)  # 60-minute exam, window closes in 30 minutes
    entry = services.roster_entry(db.session, exam, candidate)
    entry.extra_minutes = 10
    attempt = start(db, exam, candidate)
    assert attempt.deadline == exam.closes_at


def test_save_after_deadline_is_refused_and_changes_nothing(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    item = first_item(attempt, "single")
    save(db, attempt, item, item.option_order[0], 1)
    frozen_clock.advance(minutes=60, seconds=16)  # past the deadline and the 15-second grace
    with pytest.raises(services.TimeUp, match="not saved|未保存"):
        services.save_answers(db.session, attempt=attempt, device_token=DEVICE, now=clock.now(),
                              saves=[{"item": item.id, "response": item.option_order[1], "seq": 2}])
    db.session.rollback()
    answer = next(a for a in attempt.answers if a.item_id == item.id)
    assert answer.response == item.option_order[0] and answer.seq == 1
    assert db.session.scalar(select(func.count()).select_from(AnswerEvent)) == 1


def test_a_save_within_the_grace_is_accepted(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    item = first_item(attempt, "true_false")
    frozen_clock.advance(minutes=60, seconds=10)
    assert save(db, attempt, item, True, 1).acks[0]["seq"] == 1


def test_an_older_sequence_never_overwrites_a_newer_answer(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    item = first_item(attempt, "multiple")
    save(db, attempt, item, ["A", "C"], 5)
    result = save(db, attempt, item, ["B"], 3)  # arrives late
    assert result.acks == [{"item": item.id, "seq": 5, "saved_at": result.acks[0]["saved_at"]}]
    again = save(db, attempt, item, ["A", "C"], 5)  # the same save re-sent: harmless
    assert again.acks[0]["seq"] == 5
    answer = next(a for a in attempt.answers if a.item_id == item.id)
    assert answer.response == ["A", "C"] and answer.seq == 5
    assert db.session.scalar(select(func.count()).select_from(AnswerEvent)) == 1
    assert services.verify_chain(db.session, attempt)


def test_the_answered_count_follows_answers_set_changed_and_cleared(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    single, multiple = first_item(attempt, "single"), first_item(attempt, "multiple")
    save(db, attempt, single, single.option_order[0], 1)
    save(db, attempt, multiple, ["A", "B"], 1)
    assert attempt.answered_count == 2
    save(db, attempt, single, single.option_order[1], 2)  # changed: still answered
    save(db, attempt, multiple, [], 2)  # cleared
    assert attempt.answered_count == 1
    save(db, attempt, multiple, ["A", "B"], 1)  # stale: ignored
    assert attempt.answered_count == 1
    answers = db.session.scalars(select(Answer).filter_by(attempt_id=attempt.id)).all()
    assert attempt.answered_count == sum(1 for a in answers if a.response not in (None, [], ""))


def test_malformed_saves_are_rejected_one_by_one(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    single, fill = first_item(attempt, "single"), first_item(attempt, "fill_blank")
    result = services.save_answers(db.session, attempt=attempt, device_token=DEVICE, now=clock.now(), saves=[
        {"item": single.id, "response": "Z", "seq": 1},
        {"item": fill.id, "response": ["a", "b"], "seq": 1},
        {"item": 999999, "response": "A", "seq": 1},
        {"item": single.id, "response": "A", "seq": "1"},
        {"item": fill.id, "response": ["1003"], "seq": 1},
    ])
    assert [r["reason"] for r in result.rejected] == ["not_an_option", "bad_blanks", "bad_request", "bad_request"]
    assert [a["item"] for a in result.acks] == [fill.id]


def test_double_submit_gives_one_result(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    tf = first_item(attempt, "true_false")
    save(db, attempt, tf, tf.version.answer, 1)
    services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    assert attempt.score is None  # closing does not grade: the grading job or a reader of the score does
    assert services.grade_pending(db.session) == 1
    first = (attempt.score, attempt.submitted_at, attempt.receipt_digest)
    frozen_clock.advance(seconds=5)
    services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    assert services.grade_pending(db.session) == 0
    db.session.commit()
    assert (attempt.score, attempt.submitted_at, attempt.receipt_digest) == first
    assert attempt.score == Decimal("2.00") and attempt.status is AttemptStatus.SUBMITTED
    submits = db.session.scalars(select(AuditLog).where(AuditLog.action == "exam.submit")).all()
    assert len(submits) == 1


def test_the_scheduler_job_closes_an_abandoned_attempt(app, db, make_exam, candidate, frozen_clock):
    from core.extensions import scheduler

    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    item = first_item(attempt, "single")
    save(db, attempt, item, item.version.answer, 1)
    frozen_clock.advance(minutes=59)
    assert scheduler.run_job(app, "exam.close_overdue") == 0
    frozen_clock.advance(minutes=2)
    assert scheduler.run_job(app, "exam.close_overdue") == 1
    assert scheduler.run_job(app, "exam.close_overdue") == 0
    db.session.expire_all()
    assert attempt.status is AttemptStatus.AUTO_SUBMITTED and attempt.submitted_by == "scheduler"
    assert attempt.score is None and attempt.submitted_at == attempt.deadline
    assert scheduler.run_job(app, "exam.grade_submitted") == 1
    assert scheduler.run_job(app, "exam.grade_submitted") == 0
    db.session.expire_all()
    assert attempt.score == Decimal("2.00")


def test_whole_paper_grading_with_partial_credit(db, make_exam, candidate, frozen_clock):
    from exam.models import MultipleRule

    exam = make_exam([candidate], multiple_rule=MultipleRule.PARTIAL, partial_fraction=Decimal("0.5"))
    attempt = start(db, exam, candidate)
    seq = 0
    for item in attempt.paper.items:
        seq += 1
        key = item.version.answer
        qtype = item.version.type.value
        if qtype == "fill_blank":
            response = [key[0][1]]  # the second accepted spelling
        elif qtype == "multiple":
            response = key[:1]  # a correct subset
        else:
            response = key
        save(db, attempt, item, response, seq)
    services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    assert services.grade_pending(db.session) == 1
    # 8 single × 2 + 4 true/false × 2 + 2 fill-in × 5 all right; 4 multiple × 4 half right.
    assert attempt.score == Decimal(16 + 8 + 10 + 8)
    assert sum(Decimal(v) for v in attempt.section_scores.values()) == attempt.score


def test_starting_rules(db, make_exam, candidate, create_user, frozen_clock):
    exam = make_exam([candidate], access_code="HALL7")
    with pytest.raises(DomainError, match="access|准入|码"):
        start(db, exam, candidate, code="wrong")
    db.session.rollback()
    assert start(db, exam, candidate, code="hall7").open
    outsider = create_user("candidate")
    with pytest.raises(DomainError):
        start(db, exam, outsider, code="HALL7")
    db.session.rollback()
    later = make_exam([create_user("candidate")], opens=30, closes=120)
    with pytest.raises(DomainError):
        start(db, later, later.roster[0].user)


def test_a_new_device_takes_the_attempt_over(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate, device="laptop")
    item = first_item(attempt, "single")
    save(db, attempt, item, item.option_order[0], 1, device="laptop")
    again = start(db, exam, candidate, device="spare-pc")
    assert again.id == attempt.id and again.device_token == "spare-pc"
    with pytest.raises(services.TakenOver):
        save(db, attempt, item, item.option_order[1], 2, device="laptop")
    db.session.rollback()
    assert save(db, attempt, item, item.option_order[1], 2, device="spare-pc").acks[0]["seq"] == 2


def test_extra_time_mid_exam_moves_the_deadline(db, make_exam, candidate, create_user, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    before = attempt.deadline
    services.grant_extra_time(db.session, exam=exam, user=candidate, minutes=10, reason="视力障碍", actor=None,
                              now=clock.now())
    assert attempt.deadline == before + timedelta(minutes=10)
    services.compensate(db.session, exam=exam, minutes=5, reason="断网 10:05-10:10", actor=None, now=clock.now())
    assert attempt.deadline == before + timedelta(minutes=15)
    with pytest.raises(DomainError):
        services.compensate(db.session, exam=exam, minutes=5, reason=" ", actor=None, now=clock.now())


def test_reopen_and_force_submit_need_a_reason(db, make_exam, candidate, frozen_clock):
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    with pytest.raises(DomainError):
        services.force_submit(db.session, attempt=attempt, reason="", actor=None, now=clock.now())
    services.force_submit(db.session, attempt=attempt, reason="身体不适离场", actor=None, now=clock.now())
    assert attempt.status is AttemptStatus.AUTO_SUBMITTED
    services.reopen(db.session, attempt=attempt, minutes=20, reason="误操作", actor=None, now=clock.now())
    assert attempt.open and attempt.deadline == clock.now() + timedelta(minutes=20)


def test_a_key_correction_regrades_every_affected_attempt(db, make_exam, create_user, frozen_clock):
    users = [create_user("candidate") for _ in range(3)]
    exam = make_exam(users)
    attempts = [start(db, exam, u, device=f"d{n}") for n, u in enumerate(users)]
    version = first_item(attempts[0], "true_false").version
    key = version.answer
    # Two candidates answer the recorded key, one the opposite, for this question (if on their paper).
    for n, attempt in enumerate(attempts):
        item = next((i for i in attempt.paper.items if i.question_version_id == version.id), None)
        if item is not None:
            save(db, attempt, item, key if n < 2 else (not key), 1, device=f"d{n}")
    services.challenge_item(db.session, attempt=attempts[2], item_id=first_item(attempts[2], "true_false").id,
                            note="题干有歧义", now=clock.now())
    for attempt in attempts:
        services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    services.grade_pending(db.session)
    before = {a.id: a.score for a in attempts}
    lines = services.decide_challenges(db.session, exam=exam, version_id=version.id, decision="rekey",
                                       new_key=not key, reason="原答案有误", actor=None, now=clock.now())
    db.session.commit()
    affected = [a for a in attempts if any(i.question_version_id == version.id for i in a.paper.items)]
    assert {line.attempt.id for line in lines} == {a.id for a in affected}
    for line in lines:
        assert line.before == before[line.attempt.id]
        n = attempts.index(line.attempt)
        assert line.after - line.before == (Decimal("-2.00") if n < 2 else Decimal("2.00"))
    with pytest.raises(DomainError):  # a key must fit the question
        services.decide_challenges(db.session, exam=exam, version_id=version.id, decision="rekey", new_key="B",
                                   reason="x", actor=None, now=clock.now())
    db.session.rollback()
    lines = services.decide_challenges(db.session, exam=exam, version_id=version.id, decision="void",
                                       new_key=None, reason="作废", actor=None, now=clock.now())
    assert all(line.after >= line.before for line in lines)
    services.release_results(db.session, exam=exam, actor=None, now=clock.now())
    from core.notify import inbox

    for attempt in attempts:  # each candidate is told in the app, with the way to their score
        assert [n.link for n in inbox(db.session, attempt.user_id)] == ["/exam/"]
    with pytest.raises(DomainError):
        services.decide_challenges(db.session, exam=exam, version_id=version.id, decision="dismiss",
                                   new_key=None, reason="x", actor=None, now=clock.now())


def test_one_batch_may_change_an_answer_twice(db, make_exam, candidate, frozen_clock):
    """A batch re-sent after being offline can hold several saves of one question: each is applied
    in order (one answer row, one chain link each), and an older one in the batch is ignored."""
    exam = make_exam([candidate])
    attempt = start(db, exam, candidate)
    tf, single = first_item(attempt, "true_false"), first_item(attempt, "single")
    save(db, attempt, single, single.version.answer, 1)
    result = services.save_answers(db.session, attempt=attempt, device_token=DEVICE, now=clock.now(), saves=[
        {"item": tf.id, "response": True, "seq": 1}, {"item": tf.id, "response": False, "seq": 3},
        {"item": tf.id, "response": True, "seq": 2}, {"item": single.id, "response": None, "seq": 2}])
    db.session.commit()
    assert [a["seq"] for a in result.acks] == [1, 3, 3, 2]
    stored = {a.item_id: a for a in db.session.scalars(select(Answer).filter_by(attempt_id=attempt.id))}
    assert (stored[tf.id].response, stored[tf.id].seq) == (False, 3)
    assert (stored[single.id].response, stored[single.id].seq) == (None, 2)
    assert attempt.answered_count == 1  # the single-choice answer was cleared
    events = db.session.scalar(select(func.count()).select_from(AnswerEvent).filter_by(attempt_id=attempt.id))
    assert events == 4 and services.verify_chain(db.session, attempt)
