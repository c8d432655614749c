"""Practice mode: untimed questions by module and level from the active bank, checked at once with
the explanation. Nothing is stored: practice never counts toward results."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.models import Level, Question, QuestionStatus, QuestionVersion


def pick(session: Session, *, module: int | None, level: str | None, exclude: str | None = None,
         rng: random.Random | None = None) -> Question | None:
    query = (select(Question.public_id)
             .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
             .where(Question.status == QuestionStatus.ACTIVE))
    if module:
        query = query.where(QuestionVersion.module == module)
    if level:
        query = query.where(QuestionVersion.level == Level(level))
    ids = [i for i in session.scalars(query) if i != exclude]
    if not ids:
        return None
    chosen = (rng or random.SystemRandom()).choice(ids)
    return session.scalar(select(Question).filter_by(public_id=chosen))


def parse_response(qtype: str, form) -> object:
    """The practice form's answer in the shape the question types check."""
    if qtype == "single":
        return form.get("choice") or None
    if qtype == "multiple":
        return sorted(form.getlist("choice")) or None
    if qtype == "true_false":
        value = form.get("choice")
        return None if value is None else value == "true"
    return [value for key, value in sorted(form.items()) if key.startswith("blank_")] or None
