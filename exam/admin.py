"""Setting up an exam: its settings, blueprint sections and roster (administrators)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from core import audit
from core.errors import DomainError
from exam.models import Exam, ExamCandidate, ExamQuota, ExamSection, ExamStatus
from question_bank.models import Level, QuestionType
from registration import signals

SETTINGS = ["title", "event", "event_id", "level", "language", "duration_minutes", "opens_at", "closes_at",
            "allow_overrun", "access_code", "shuffle_questions", "shuffle_options", "pass_score", "review_policy",
            "multiple_rule", "partial_fraction", "grace_seconds", "allowed_networks", "seb_config_keys",
            "focus_warn_at", "focus_alert_at", "focus_submit_at"]


def _editable(exam: Exam) -> None:
    if exam.status is not ExamStatus.DRAFT:
        raise DomainError(_l("A published exam's paper can no longer be changed."))


def save_exam(session: Session, *, exam: Exam | None, fields: dict, actor: User) -> Exam:
    if fields["closes_at"] <= fields["opens_at"]:
        raise DomainError(_l("The window must close after it opens."), field="closes_at")
    before = audit.snapshot(exam, SETTINGS) if exam else None
    if exam is None:
        exam = Exam()
        session.add(exam)
    elif exam.status is not ExamStatus.DRAFT:
        locked = {"level", "language", "shuffle_questions", "shuffle_options"}
        if any(k in fields and getattr(exam, k) != fields[k] for k in locked):
            raise DomainError(_l("Level, language and shuffling cannot change once the papers are generated."))
    for key, value in fields.items():
        setattr(exam, key, value)
    session.flush()
    audit.record(session, "exam.create" if before is None else "exam.update", target=exam, actor=actor,
                 before=before, after=audit.snapshot(exam, SETTINGS))
    return exam


def add_section(session: Session, *, exam: Exam, type: QuestionType, title: str, points: Decimal,
                quotas: list[dict], actor: User) -> ExamSection:
    _editable(exam)
    if not quotas:
        raise DomainError(_l("Give at least one quota with a number of questions."))
    position = max((s.position for s in exam.sections), default=0) + 1
    section = ExamSection(exam=exam, position=position, title=title, type=type, points=points)
    section.quotas = [ExamQuota(count=q["count"], module=q.get("module"),
                                level=Level(q["level"]) if q.get("level") else None,
                                difficulty=q.get("difficulty")) for q in quotas]
    session.add(section)
    session.flush()
    audit.record(session, "exam.section_add", target=exam, actor=actor,
                 after={"type": type.value, "points": points, "quotas": quotas})
    return section


def delete_section(session: Session, *, section: ExamSection, actor: User) -> None:
    exam = section.exam
    _editable(exam)
    exam.sections.remove(section)
    for i, other in enumerate(exam.sections, start=1):
        other.position = -i  # two steps keep (exam, position) unique while renumbering
    session.flush()
    for i, other in enumerate(exam.sections, start=1):
        other.position = i
    session.flush()
    audit.record(session, "exam.section_delete", target=exam, actor=actor)


def add_to_roster(session: Session, *, exam: Exam, usernames: list[str], actor: User) -> int:
    """Admit candidates by username (issue 5's enrolment will feed this from registrations)."""
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(usernames)))}
    unknown = [n for n in usernames if n not in users]
    not_candidates = [n for n, u in users.items() if u.role is not Role.CANDIDATE]
    if unknown or not_candidates:
        problems = []
        if unknown:
            problems.append(str(_l("unknown: %(names)s", names=", ".join(unknown))))
        if not_candidates:
            problems.append(str(_l("not candidates: %(names)s", names=", ".join(not_candidates))))
        raise DomainError(_l("Nobody was added (%(problems)s).", problems="; ".join(problems)))
    have = {e.user_id for e in exam.roster}
    added = 0
    for username in usernames:
        user = users[username]
        if user.id not in have:
            exam.roster.append(ExamCandidate(user=user))
            have.add(user.id)
            added += 1
    session.flush()
    if exam.status is ExamStatus.PUBLISHED:
        pass  # papers for late additions are drawn on demand at start (the fallback)
    audit.record(session, "exam.roster_add", target=exam, actor=actor, after={"added": added})
    return added


@signals.enrolled.connect
def _enrol_on_exams(session: Session, *, registration) -> None:
    """An enrolled candidate sits every exam of their event (registration announces the enrolment)."""
    for exam in session.scalars(select(Exam).where(Exam.event_id == registration.event_id)):
        add_to_roster(session, exam=exam, usernames=[registration.user.username], actor=None)
