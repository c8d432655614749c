"""A demo exam whose results are released: a quiz the demo candidates sat last spring, so that the
question bank's list and each question's page show item statistics from the first `make run`.

Its quotas take whole (module, difficulty) groups of the bank, so every candidate sits the same
items. A candidate answers an item with its key when they know it (their ability, less for harder
items) and leaves it blank otherwise; the draw is seeded by name, so the demo is the same each time."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from core import clock
from exam import admin, services
from exam.models import Exam, MultipleRule, ReviewPolicy
from question_bank.models import Level, QuestionType, QuestionVersion

TITLE = "工业互联网系统运维（初级）理论测验 · 2026 春季（成绩已发布）"
SECTIONS = [("一、单选题", QuestionType.SINGLE, 12, "3"), ("二、多选题", QuestionType.MULTIPLE, 6, "5"),
            ("三、判断题", QuestionType.TRUE_FALSE, 8, "1.5")]
ABILITY = (0.88, 0.66, 0.5, 0.32, 0.75, 0.6)  # each candidate's chance of knowing an item, by name order


def _chance(username: str, version_id: int) -> float:
    """A stable number in [0, 1) for a candidate and an item."""
    digest = hashlib.sha256(f"{username}:{version_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2 ** 32


def load(session: Session) -> list[str]:
    if session.scalar(select(Exam).filter_by(title=TITLE)) is not None:
        return ["demo released exam already present"]
    candidates = session.scalars(  # the Chinese-speaking demo candidates (a Chinese quiz)
        select(User).where(User.role == Role.CANDIDATE, or_(User.locale.is_(None), User.locale != "en"))
        .order_by(User.username)).all()
    if len(candidates) < 2:
        return []
    opens = clock.now() - timedelta(days=200)
    exam = admin.save_exam(session, exam=None, actor=None, fields={
        "title": TITLE, "event": "示范认证", "event_id": None, "level": Level.JUNIOR, "duration_minutes": 30,
        "opens_at": opens, "closes_at": opens + timedelta(hours=3), "allow_overrun": False, "access_code": "",
        "shuffle_questions": True, "shuffle_options": True, "pass_score": Decimal("60"),
        "review_policy": ReviewPolicy.AFTER_RELEASE, "multiple_rule": MultipleRule.PARTIAL,
        "partial_fraction": Decimal("0.5"), "grace_seconds": 15,
    })
    pool = services.current_pool_ids(session, exam)
    groups = session.execute(
        select(QuestionVersion.type, QuestionVersion.module, QuestionVersion.difficulty, func.count())
        .where(QuestionVersion.id.in_(pool))
        .group_by(QuestionVersion.type, QuestionVersion.module, QuestionVersion.difficulty)
        .order_by(QuestionVersion.module, QuestionVersion.difficulty)).all()
    for title, qtype, wanted, points in SECTIONS:
        quotas, total = [], 0
        for kind, module, difficulty, n in groups:
            if kind == qtype and total + n <= wanted:
                quotas.append({"count": n, "module": module, "difficulty": difficulty})
                total += n
        if quotas:
            admin.add_section(session, exam=exam, type=qtype, title=title, points=Decimal(points), quotas=quotas,
                              actor=None)
    if not exam.sections:
        return []
    admin.add_to_roster(session, exam=exam, usernames=[c.username for c in candidates], actor=None)
    services.publish(session, exam=exam, actor=None, now=opens - timedelta(days=1))
    for n, user in enumerate(candidates):
        at = opens + timedelta(minutes=5 + n)
        attempt = services.start_attempt(session, exam=exam, user=user, now=at, access_code="", device_token="demo")
        ability = ABILITY[n % len(ABILITY)]
        saves = [{"item": item.id, "response": item.version.answer, "seq": 1} for item in attempt.paper.items
                 if _chance(user.username, item.question_version_id) < ability - 0.08 * (item.version.difficulty - 3)]
        services.save_answers(session, attempt=attempt, device_token="demo", saves=saves,
                              now=at + timedelta(minutes=20))
        services.submit(session, attempt=attempt, now=at + timedelta(minutes=25), by="candidate")
    services.release_results(session, exam=exam, actor=None, now=exam.closes_at + timedelta(days=2))
    return [f"demo released exam: {len(candidates)} candidates, their item statistics kept in the bank"]
