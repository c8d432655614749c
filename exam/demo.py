"""A demo exam: the junior theory paper (60 minutes, 100 points), open for 30 days from loading,
with the demo candidates admitted and papers generated, in three halls: the first two start when
each candidate presses Start, the third together, shortly after loading (its waiting room)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from core import clock
from exam import admin, halls, services
from exam.models import Exam, MultipleRule, ReviewPolicy
from question_bank.models import Level, QuestionType

TITLE = "工业互联网系统运维（初级）理论考试 · 示范"
SECTIONS = [("一、单选题", QuestionType.SINGLE, 40, "1"), ("二、多选题", QuestionType.MULTIPLE, 15, "2"),
            ("三、判断题", QuestionType.TRUE_FALSE, 20, "1"), ("四、填空题", QuestionType.FILL_BLANK, 5, "2")]


def load(session: Session) -> list[str]:
    if session.scalar(select(Exam).filter_by(title=TITLE)) is not None:
        return ["demo exam already present"]
    now = clock.now()
    exam = admin.save_exam(session, exam=None, actor=None, fields={
        "title": TITLE, "event": "示范认证", "event_id": None, "level": Level.JUNIOR, "duration_minutes": 60,
        "opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=30), "allow_overrun": False,
        "access_code": "", "shuffle_questions": True, "shuffle_options": True, "pass_score": Decimal("60"),
        "review_policy": ReviewPolicy.AFTER_RELEASE, "multiple_rule": MultipleRule.PARTIAL,
        "partial_fraction": Decimal("0.5"), "grace_seconds": 15,
    })
    for title, qtype, count, points in SECTIONS:
        admin.add_section(session, exam=exam, type=qtype, title=title, points=Decimal(points),
                          quotas=[{"count": count}], actor=None)
    candidates = sorted(session.scalars(select(User.username).where(User.role == Role.CANDIDATE)).all())
    admin.add_to_roster(session, exam=exam, usernames=list(candidates), actor=None)
    # Three halls, the demo invigilator in the first: cand01 and cand02 sit there, cand04 in the
    # third, which starts together 20-25 minutes after loading (on a round five minutes), so that
    # its waiting room can be seen; everyone else in the second.
    first = halls.add_hall(session, exam=exam, name="第一考场", room="实训楼 A101", seats=40, actor=None)
    second = halls.add_hall(session, exam=exam, name="第二考场", room="实训楼 A102", seats=40, actor=None)
    third = halls.add_hall(session, exam=exam, name="第三考场", room="实训楼 A103", seats=40, actor=None)
    together = [name for name in candidates if name == "cand04"]
    others = [name for name in candidates[2:] if name not in together]
    halls.seat(session, hall=first, usernames=candidates[:2], actor=None)
    halls.seat(session, hall=second, usernames=others, actor=None)
    halls.seat(session, hall=third, usernames=together, actor=None)
    invigilator = session.scalar(select(User).where(User.role == Role.INVIGILATOR).order_by(User.id))
    if invigilator is not None:
        halls.assign_invigilator(session, hall=first, user=invigilator, actor=None)
    papers = services.publish(session, exam=exam, actor=None, now=now)
    start = (now + timedelta(minutes=25)).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % 5)
    halls.set_start(session, hall=third, starts_at=start, actor=None, now=now)
    return [f"demo exam published with {papers} papers, open until {exam.closes_at:%Y-%m-%d}, in 3 halls "
            f"(the third starts together at {start:%H:%M} UTC)"]
