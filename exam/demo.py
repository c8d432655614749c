"""Demo exams, open for 30 days from loading, papers generated. The junior theory paper (60
minutes, 100 points) for the demo candidates, in three halls: the first two start when each
candidate presses Start, the third together, shortly after loading (its waiting room). And the
competition's theory test for the international group, in English (seed 002, 4.4): drawn only from
questions with English text, its pages in English."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from core import clock
from exam import admin, halls, services
from exam.models import Exam, ExamLanguage, MultipleRule, ReviewPolicy
from question_bank.models import Level, QuestionType

TITLE = "工业互联网系统运维（初级）理论考试 · 示范"
SECTIONS = [("一、单选题", QuestionType.SINGLE, 40, "1"), ("二、多选题", QuestionType.MULTIPLE, 10, "2"),
            ("三、判断题", QuestionType.TRUE_FALSE, 20, "1"), ("四、填空题", QuestionType.FILL_BLANK, 5, "2"),
            ("五、数值题", QuestionType.NUMERIC, 5, "2")]
# The international group's paper: English, at the intermediate level (which draws junior items too).
TITLE_EN = "Industrial Internet System Operation and Maintenance · Theory Test · International Group (demo)"
SECTIONS_EN = [("Part 1 · Single choice", QuestionType.SINGLE, 40, "1"),
               ("Part 2 · Multiple choice", QuestionType.MULTIPLE, 10, "2"),
               ("Part 3 · True or false", QuestionType.TRUE_FALSE, 20, "1"),
               ("Part 4 · Fill in the blanks", QuestionType.FILL_BLANK, 5, "2"),
               ("Part 5 · Numeric answers", QuestionType.NUMERIC, 5, "2")]
INTERNATIONAL = ["intl01"]  # the demo candidates of the international group (accounts/demo.py)


def load(session: Session) -> list[str]:
    return _load_chinese(session) + _load_english(session)


def _candidates(session: Session) -> list[str]:
    return sorted(session.scalars(select(User.username).where(User.role == Role.CANDIDATE)).all())


def _settings(title: str, event: str, level: Level, now) -> dict:
    return {
        "title": title, "event": event, "event_id": None, "level": level, "duration_minutes": 60,
        "opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=30), "allow_overrun": False,
        "access_code": "", "shuffle_questions": True, "shuffle_options": True, "pass_score": Decimal("60"),
        "review_policy": ReviewPolicy.AFTER_RELEASE, "multiple_rule": MultipleRule.PARTIAL,
        "partial_fraction": Decimal("0.5"), "grace_seconds": 15,
    }


def _load_english(session: Session) -> list[str]:
    if session.scalar(select(Exam).filter_by(title=TITLE_EN)) is not None:
        return ["demo English exam already present"]
    now = clock.now()
    exam = admin.save_exam(session, exam=None, actor=None, fields={
        **_settings(TITLE_EN, "Demo competition · International group", Level.INTERMEDIATE, now),
        "language": ExamLanguage.EN})
    for title, qtype, count, points in SECTIONS_EN:
        admin.add_section(session, exam=exam, type=qtype, title=title, points=Decimal(points),
                          quotas=[{"count": count}], actor=None)
    candidates = [name for name in _candidates(session) if name in INTERNATIONAL]
    admin.add_to_roster(session, exam=exam, usernames=candidates, actor=None)
    hall = halls.add_hall(session, exam=exam, name="International hall", room="实训楼 A201", seats=20, actor=None)
    halls.seat(session, hall=hall, usernames=candidates, actor=None)
    invigilator = session.scalar(select(User).where(User.role == Role.INVIGILATOR).order_by(User.id))
    if invigilator is not None:
        halls.assign_invigilator(session, hall=hall, user=invigilator, actor=None)
    papers = services.publish(session, exam=exam, actor=None, now=now)
    return [f"demo English exam (international group) published with {papers} papers from {len(exam.pool)} "
            f"questions with English text"]


def _load_chinese(session: Session) -> list[str]:
    if session.scalar(select(Exam).filter_by(title=TITLE)) is not None:
        return ["demo exam already present"]
    now = clock.now()
    exam = admin.save_exam(session, exam=None, actor=None, fields=_settings(TITLE, "示范认证", Level.JUNIOR, now))
    for title, qtype, count, points in SECTIONS:
        admin.add_section(session, exam=exam, type=qtype, title=title, points=Decimal(points),
                          quotas=[{"count": count}], actor=None)
    candidates = [name for name in _candidates(session) if name not in INTERNATIONAL]
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
