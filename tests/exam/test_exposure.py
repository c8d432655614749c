"""Issue 16, exposure control: an exam draws only exam items that practice never showed, and
practice never shows an item of the exam pool only, nor one frozen into an exam not yet released."""

from sqlalchemy import select

from core import clock
from exam import practice, services
from question_bank.models import Pool, Question, QuestionVersion


def exam_papers(db, exam):
    from exam.models import Paper

    return db.session.scalars(select(Paper).filter_by(exam_id=exam.id)).all()


def _questions_in(session, version_ids) -> set[int]:
    return set(session.scalars(select(QuestionVersion.question_id).where(QuestionVersion.id.in_(version_ids))))


def test_a_question_practice_showed_is_never_drawn_by_an_exam(client, db, bank, make_exam, login_as, frozen_clock):
    login_as("candidate")
    exam = make_exam(publish=False)
    before = _questions_in(db.session, services.current_pool_ids(db.session, exam))
    page = client.get("/exam/practice").get_data(as_text=True)
    shown = [q for q in db.session.scalars(select(Question)) if q.practised_at is not None]
    assert len(shown) == 1 and shown[0].current_version.stem[:12] in page  # the page showed it
    after = _questions_in(db.session, services.current_pool_ids(db.session, exam))
    assert after == before - {shown[0].id}
    services.publish(db.session, exam=exam, actor=None, now=clock.now())
    assert shown[0].id not in _questions_in(db.session, exam.pool)  # the frozen pool leaves it out too


def test_the_pools_keep_exam_items_out_of_practice_and_practice_items_out_of_exams(db, bank, make_exam,
                                                                                   frozen_clock):
    exam_only, practice_only = bank[0], bank[1]
    exam_only.pool, practice_only.pool = Pool.EXAM, Pool.PRACTICE
    db.session.commit()
    exam = make_exam(publish=False)
    in_exam = _questions_in(db.session, services.current_pool_ids(db.session, exam))
    assert exam_only.id in in_exam and practice_only.id not in in_exam
    offered = {practice.pick(db.session, module=None, level=None).id for _ in range(200)}
    assert practice_only.id in offered and exam_only.id not in offered
    assert practice.practisable(db.session, exam_only.public_id) is None


def test_practice_never_shows_an_item_frozen_into_an_unreleased_exam(db, bank, make_exam, candidate, frozen_clock):
    for question in bank[8:12]:  # four single-choice questions for practice only: the rest is the exam's frozen pool
        question.pool = Pool.PRACTICE
    db.session.commit()
    exam = make_exam([candidate])
    frozen = _questions_in(db.session, exam.pool)
    in_papers = _questions_in(db.session, [i.question_version_id for p in exam_papers(db, exam) for i in p.items])
    assert in_papers < frozen  # some of the pool is on no paper yet: a late candidate's paper may draw it
    offered = {practice.pick(db.session, module=None, level=None).id for _ in range(200)}
    assert offered == {q.id for q in bank[8:12]} and not (offered & frozen)
    for question in db.session.scalars(select(Question).where(Question.id.in_(frozen))):
        assert practice.practisable(db.session, question.public_id) is None
