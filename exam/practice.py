"""Practice mode: untimed questions by module and level from the active bank, checked at once with
the explanation. Nothing of the answers is stored: practice never counts toward results.

Practice must never leak an exam's keys (issue 12 H1): a question frozen into a paper of an exam
whose results are not released is never offered or checked, and a candidate with an attempt in
progress gets no practice at all. Exposure control (issue 16): practice shows only questions of the
practice pool (or both), and records when it first showed one, which takes it out of every exam
drawn after (exam.services.current_pool_ids)."""

from __future__ import annotations

import random

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from exam.models import Attempt, AttemptStatus, Exam, Paper, PaperItem
from question_bank.models import Level, Pool, Question, QuestionStatus, QuestionVersion


def _frozen_questions(session: Session) -> list[int]:
    """Questions an exam not yet released may put on a paper: those of its papers, and every one of
    its frozen pool (a late candidate's paper is drawn from it at their start)."""
    in_papers = set(session.scalars(
        select(QuestionVersion.question_id)
        .join(PaperItem, PaperItem.question_version_id == QuestionVersion.id)
        .join(Paper, Paper.id == PaperItem.paper_id)
        .join(Exam, Exam.id == Paper.exam_id)
        .where(Exam.results_released_at.is_(None))))
    pooled = {v for pool in session.scalars(select(Exam.pool).where(Exam.results_released_at.is_(None),
                                                                    Exam.pool.is_not(None))) for v in pool}
    if pooled:
        in_papers |= set(session.scalars(select(QuestionVersion.question_id)
                                         .where(QuestionVersion.id.in_(pooled))))
    return sorted(in_papers)


def _practisable(session: Session):
    return ((Question.status == QuestionStatus.ACTIVE) & Question.pool.in_((Pool.PRACTICE, Pool.BOTH))
            & Question.id.not_in(_frozen_questions(session)))


def shown(session: Session, question: Question, *, now) -> None:
    """Practice showed the question (and will show its key): no exam draws it from now on."""
    if question.practised_at is None:
        session.execute(update(Question).where(Question.id == question.id, Question.practised_at.is_(None))
                        .values(practised_at=now))


def closed_for(session: Session, user_id: int) -> bool:
    """Whether practice is closed to the candidate: they have an attempt in progress."""
    return session.scalar(select(Attempt.id).where(Attempt.user_id == user_id,
                                                   Attempt.status == AttemptStatus.IN_PROGRESS).limit(1)) is not None


def practisable(session: Session, public_id: str) -> Question | None:
    """The question, if practice may show it (and its key)."""
    return session.scalar(select(Question).where(Question.public_id == public_id, _practisable(session)))


def pick(session: Session, *, module: int | None, level: str | None, exclude: str | None = None,
         rng: random.Random | None = None) -> Question | None:
    query = (select(Question.public_id)
             .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
             .where(_practisable(session)))
    if module:
        query = query.where(QuestionVersion.module == module)
    if level:
        query = query.where(QuestionVersion.level == Level(level))
    ids = [i for i in session.scalars(query) if i != exclude]
    if not ids:
        return None
    chosen = (rng or random.SystemRandom()).choice(ids)
    return session.scalar(select(Question).filter_by(public_id=chosen))
