"""Reads for the packages above exam: plain frozen rows, a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from exam.models import Answer, Attempt, AttemptStatus, Exam, PaperItem


@dataclass(frozen=True)
class PaperLine:
    position: int
    section: str
    version: object  # the question version as the candidate saw it (its kind renders key and response)
    response: object | None
    score: Decimal | None
    points: Decimal


@dataclass(frozen=True)
class AnsweredPaper:
    exam_title: str
    exam_public_id: str
    attempt_public_id: str
    score: Decimal | None
    total: Decimal
    lines: tuple[PaperLine, ...]


def answered_paper(session: Session, *, event_id: int, user_id: int | None) -> AnsweredPaper | None:
    """The candidate's answered paper of the event's latest exam they handed in (the one their
    theory result comes from): every item in paper order with the response, its score and the key.
    For a reviewer of a theory objection; three statements however long the paper."""
    if user_id is None:
        return None
    attempt = session.scalar(
        select(Attempt).join(Exam).where(Exam.event_id == event_id, Attempt.user_id == user_id,
                                         Attempt.status != AttemptStatus.IN_PROGRESS)
        .options(joinedload(Attempt.exam)).order_by(Exam.opens_at.desc()).limit(1))
    if attempt is None:
        return None
    items = session.scalars(select(PaperItem).filter_by(paper_id=attempt.paper_id)
                            .options(joinedload(PaperItem.version), joinedload(PaperItem.section))
                            .order_by(PaperItem.position)).all()
    answers = {a.item_id: a for a in session.scalars(select(Answer).filter_by(attempt_id=attempt.id))}
    lines = tuple(PaperLine(position=i.position, section=i.section.title or i.section.type.label, version=i.version,
                            response=answers[i.id].response if i.id in answers else None,
                            score=answers[i.id].score if i.id in answers else None, points=i.points)
                  for i in items)
    return AnsweredPaper(exam_title=attempt.exam.title, exam_public_id=attempt.exam.public_id,
                         attempt_public_id=attempt.public_id, score=attempt.score,
                         total=attempt.exam.total_points, lines=lines)
