"""Exams, their blueprints and rosters; frozen per-candidate papers; attempts, answers and the
append-only records (answer events in a hash chain, integrity events)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.models import Immutable, LabelledEnum, PublicIdMixin, TimestampMixin, enum_type
from question_bank.models import Level, QuestionType

Points = Numeric(8, 2)


class ExamStatus(LabelledEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"

    @classmethod
    def labels(cls):
        return {cls.DRAFT: _l("Draft"), cls.PUBLISHED: _l("Published"), cls.CLOSED: _l("Closed")}


class MultipleRule(LabelledEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    PARTIAL = "partial"

    @classmethod
    def labels(cls):
        return {cls.ALL_OR_NOTHING: _l("All or nothing"),
                cls.PARTIAL: _l("Partial credit for a correct subset with no wrong option")}


class ReviewPolicy(LabelledEnum):
    NEVER = "never"
    AFTER_RELEASE = "after_release"

    @classmethod
    def labels(cls):
        return {cls.NEVER: _l("Candidates see only their scores"),
                cls.AFTER_RELEASE: _l("Candidates may review answers and keys once results are released")}


class ExamLanguage(LabelledEnum):
    """The language of an exam's questions: Chinese, English, or both (Chinese with English beneath,
    side by side on a wide screen). An English or bilingual exam draws only items with English text."""

    ZH = "zh"
    EN = "en"
    BOTH = "both"

    @classmethod
    def labels(cls):
        return {cls.ZH: _l("Chinese"), cls.EN: _l("English"), cls.BOTH: _l("Chinese and English side by side")}

    @property
    def needs_english(self) -> bool:
        return self is not ExamLanguage.ZH

    @property
    def page_locale(self) -> str | None:
        """The locale the candidate's pages of the exam (paper, receipt, result) speak: English for
        an English exam, whatever the UI language, as an international candidate expects; None
        (the user's language) for a Chinese or bilingual one."""
        return "en" if self is ExamLanguage.EN else None


class AttemptStatus(LabelledEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    AUTO_SUBMITTED = "auto_submitted"

    @classmethod
    def labels(cls):
        return {cls.IN_PROGRESS: _l("In progress"), cls.SUBMITTED: _l("Submitted"),
                cls.AUTO_SUBMITTED: _l("Submitted automatically")}


class Exam(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    event: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    # The registration event whose enrolled candidates join this exam's roster on enrolment.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), nullable=True, index=True)
    level: Mapped[Level] = mapped_column(enum_type(Level), nullable=False)
    language: Mapped[ExamLanguage] = mapped_column(enum_type(ExamLanguage), nullable=False, default=ExamLanguage.ZH,
                                                   server_default="zh")
    duration_minutes: Mapped[int] = mapped_column(nullable=False, default=60)
    opens_at: Mapped[datetime] = mapped_column(nullable=False)
    closes_at: Mapped[datetime] = mapped_column(nullable=False)
    allow_overrun: Mapped[bool] = mapped_column(nullable=False, default=False)
    access_code: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    shuffle_questions: Mapped[bool] = mapped_column(nullable=False, default=True)
    shuffle_options: Mapped[bool] = mapped_column(nullable=False, default=True)
    pass_score: Mapped[Decimal] = mapped_column(Points, nullable=False, default=Decimal("60"))
    review_policy: Mapped[ReviewPolicy] = mapped_column(enum_type(ReviewPolicy), nullable=False,
                                                        default=ReviewPolicy.NEVER)
    multiple_rule: Mapped[MultipleRule] = mapped_column(enum_type(MultipleRule), nullable=False,
                                                        default=MultipleRule.ALL_OR_NOTHING)
    partial_fraction: Mapped[Decimal] = mapped_column(Numeric(4, 3), nullable=False, default=Decimal("0.5"))
    grace_seconds: Mapped[int] = mapped_column(nullable=False, default=15)
    # Where the exam may be answered from: client networks (CIDR, one a line; empty: anywhere) and
    # Safe Exam Browser Config Keys (64 hex digits, one a line; empty: any browser).
    allowed_networks: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    seb_config_keys: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    # Focus-loss policy: the candidate is warned at the Nth loss, the hall's invigilator alerted at the
    # Mth (0: never); the attempt is submitted at the Kth only when the exam says so (0: never).
    focus_warn_at: Mapped[int] = mapped_column(nullable=False, default=3, server_default="3")
    focus_alert_at: Mapped[int] = mapped_column(nullable=False, default=5, server_default="5")
    focus_submit_at: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    status: Mapped[ExamStatus] = mapped_column(enum_type(ExamStatus), nullable=False, default=ExamStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The question versions the papers are drawn from, frozen at publication, so a late paper is
    # drawn from the same pool and any paper can be regenerated from its seed for an audit.
    pool: Mapped[list | None] = mapped_column(JSON, nullable=True)
    results_released_at: Mapped[datetime | None] = mapped_column(nullable=True)

    sections: Mapped[list[ExamSection]] = relationship(
        back_populates="exam", order_by="ExamSection.position", cascade="all, delete-orphan")
    roster: Mapped[list[ExamCandidate]] = relationship(back_populates="exam", cascade="all, delete-orphan")
    halls: Mapped[list[ExamHall]] = relationship(back_populates="exam", order_by="ExamHall.name",
                                                 cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.title

    @property
    def total_points(self) -> Decimal:
        return sum((s.points * s.count for s in self.sections), Decimal(0))


class ExamSection(db.Model):
    __tablename__ = "exam_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    title: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    type: Mapped[QuestionType] = mapped_column(enum_type(QuestionType), nullable=False)
    points: Mapped[Decimal] = mapped_column(Points, nullable=False)

    exam: Mapped[Exam] = relationship(back_populates="sections")
    quotas: Mapped[list[ExamQuota]] = relationship(
        back_populates="section", order_by="ExamQuota.id", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("exam_id", "position"),)

    @property
    def count(self) -> int:
        return sum(q.count for q in self.quotas)


class ExamQuota(db.Model):
    __tablename__ = "exam_quotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("exam_sections.id", ondelete="CASCADE"), nullable=False)
    count: Mapped[int] = mapped_column(nullable=False)
    module: Mapped[int | None] = mapped_column(nullable=True)
    level: Mapped[Level | None] = mapped_column(enum_type(Level), nullable=True)
    difficulty: Mapped[int | None] = mapped_column(nullable=True)

    section: Mapped[ExamSection] = relationship(back_populates="quotas")


hall_invigilators = Table(
    "hall_invigilators", db.metadata,
    Column("hall_id", ForeignKey("exam_halls.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class ExamHall(PublicIdMixin, db.Model):
    """A room where an exam is sat (考场): made from one of the event's sessions and sites, or by
    hand. Its invigilators see and act on it alone; its clock can be paused for everyone in it."""

    __tablename__ = "exam_halls"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False, index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("event_sessions.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    room: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    seats: Mapped[int] = mapped_column(nullable=False, default=60)
    # While paused: since when. Resuming moves every open deadline in the hall by the paused span.
    paused_at: Mapped[datetime | None] = mapped_column(nullable=True)
    paused_seconds: Mapped[int] = mapped_column(nullable=False, default=0)
    # A synchronized start: every candidate of the hall starts at this moment (None: each when they
    # press Start). The waiting room holds the paper sealed with `paper_key` (AES-256-GCM, random,
    # base64url), which is handed out from this moment and never before.
    starts_at: Mapped[datetime | None] = mapped_column(nullable=True)
    paper_key: Mapped[str] = mapped_column(String(44), nullable=False, default="", server_default="")
    # Per-hall overrides of the exam's integrity settings (None: the exam's).
    allowed_networks: Mapped[str | None] = mapped_column(Text, nullable=True)
    seb_config_keys: Mapped[str | None] = mapped_column(Text, nullable=True)

    exam: Mapped[Exam] = relationship(back_populates="halls")
    invigilators = relationship("User", secondary=hall_invigilators, order_by="User.username")

    __table_args__ = (UniqueConstraint("exam_id", "session_id"),)

    def __str__(self) -> str:
        return f"{self.name} · {self.room}" if self.room else self.name

    @property
    def networks(self) -> str:
        """The client networks this hall answers from: its own list, or the exam's."""
        return self.exam.allowed_networks if self.allowed_networks is None else self.allowed_networks

    @property
    def config_keys(self) -> str:
        """The Safe Exam Browser Config Keys this hall requires: its own, or the exam's."""
        return self.exam.seb_config_keys if self.seb_config_keys is None else self.seb_config_keys


class ExamCandidate(db.Model):
    """A candidate admitted to an exam, with their hall and seat and any extra time granted."""

    __tablename__ = "exam_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    extra_minutes: Mapped[int] = mapped_column(nullable=False, default=0)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("exam_halls.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    seat: Mapped[int | None] = mapped_column(nullable=True)

    exam: Mapped[Exam] = relationship(back_populates="roster")
    user = relationship("User")
    hall: Mapped[ExamHall | None] = relationship()

    __table_args__ = (UniqueConstraint("exam_id", "user_id"),)


class Paper(PublicIdMixin, db.Model):
    """A candidate's frozen paper: the exact question versions, their order, option order, seed."""

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    seed: Mapped[str] = mapped_column(String(40), nullable=False)
    generated_at: Mapped[datetime] = mapped_column(nullable=False, default=clock.now)

    items: Mapped[list[PaperItem]] = relationship(
        back_populates="paper", order_by="PaperItem.position", cascade="all, delete-orphan")
    exam: Mapped[Exam] = relationship()
    user = relationship("User")

    __table_args__ = (UniqueConstraint("exam_id", "user_id"),)


class PaperItem(db.Model):
    __tablename__ = "paper_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    section_id: Mapped[int] = mapped_column(ForeignKey("exam_sections.id"), nullable=False)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False)
    option_order: Mapped[list] = mapped_column(JSON, nullable=False)
    points: Mapped[Decimal] = mapped_column(Points, nullable=False)

    paper: Mapped[Paper] = relationship(back_populates="items")
    section: Mapped[ExamSection] = relationship()
    version = relationship("QuestionVersion")

    __table_args__ = (UniqueConstraint("paper_id", "position"),)


class Attempt(PublicIdMixin, db.Model):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"), nullable=False, unique=True)
    # The hall the candidate sits in (from the roster at start): its pause holds this attempt too.
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("exam_halls.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    status: Mapped[AttemptStatus] = mapped_column(enum_type(AttemptStatus), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    deadline: Mapped[datetime] = mapped_column(nullable=False, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    # The device (browser session) that may answer, and its address. In a hall, a start from
    # another device asks first: it waits (pending_*) until the invigilator approves it.
    device_token: Mapped[str] = mapped_column(String(40), nullable=False)
    device_address: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")
    pending_device_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    pending_address: Mapped[str] = mapped_column(String(64), nullable=False, default="", server_default="")
    pending_at: Mapped[datetime | None] = mapped_column(nullable=True)
    chain_head: Mapped[str] = mapped_column(String(64), nullable=False)
    score: Mapped[Decimal | None] = mapped_column(Points, nullable=True)
    section_scores: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    receipt_digest: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    answered_count: Mapped[int] = mapped_column(nullable=False, default=0)
    focus_losses: Mapped[int] = mapped_column(nullable=False, default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reopen_count: Mapped[int] = mapped_column(nullable=False, default=0)
    # Answer events written so far: bounded (MAX_ANSWER_EVENTS) so that one candidate cannot flood
    # the append-only table.
    event_count: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")

    exam: Mapped[Exam] = relationship()
    hall: Mapped[ExamHall | None] = relationship()
    paper: Mapped[Paper] = relationship()
    user = relationship("User")
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt", cascade="all, delete-orphan")

    # One attempt per candidate per exam: guarded here and by a row lock in start_attempt.
    __table_args__ = (UniqueConstraint("exam_id", "user_id"),)

    @property
    def open(self) -> bool:
        return self.status is AttemptStatus.IN_PROGRESS

    @property
    def submitted_by_label(self) -> str:
        """Who or what handed the paper in, in the reader's words."""
        return str(SUBMITTED_BY.get(self.submitted_by, "")) if self.submitted_by else ""


SUBMITTED_BY = {"candidate": _l("by the candidate"), "timer": _l("when the time was up"),
                "scheduler": _l("when the time was up"), "proctor": _l("by the invigilator or proctor"),
                "focus": _l("after leaving the exam page too often")}


class Answer(db.Model):
    """The latest acknowledged response to one paper item (the events keep every change)."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("paper_items.id"), nullable=False)
    response: Mapped[object | None] = mapped_column(JSON, nullable=True)
    flagged: Mapped[bool] = mapped_column(nullable=False, default=False)
    seq: Mapped[int] = mapped_column(nullable=False)
    saved_at: Mapped[datetime] = mapped_column(nullable=False)
    score: Mapped[Decimal | None] = mapped_column(Points, nullable=True)
    correct: Mapped[bool | None] = mapped_column(nullable=True)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    item: Mapped[PaperItem] = relationship()

    __table_args__ = (UniqueConstraint("attempt_id", "item_id"),)


class AnswerEvent(Immutable, db.Model):
    """Every accepted save, in a hash chain per attempt."""

    __tablename__ = "answer_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("paper_items.id"), nullable=False)
    seq: Mapped[int] = mapped_column(nullable=False)
    response: Mapped[object | None] = mapped_column(JSON, nullable=True)
    flagged: Mapped[bool] = mapped_column(nullable=False, default=False)
    at: Mapped[datetime] = mapped_column(nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    user_agent: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (Index("ix_answer_events_attempt", "attempt_id", "id"),)


class IntegrityEvent(Immutable, db.Model):
    """Focus lost or regained, page hidden, device taken over: what the proctor sees."""

    __tablename__ = "integrity_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    user_agent: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")


class ChallengeStatus(LabelledEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"

    @classmethod
    def labels(cls):
        return {cls.OPEN: _l("Open"), cls.UPHELD: _l("Upheld"), cls.DISMISSED: _l("Dismissed")}


class ItemChallenge(db.Model):
    """A candidate's report, during the exam, that a question may be faulty."""

    __tablename__ = "item_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("paper_items.id"), nullable=False)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False, index=True)
    note: Mapped[str] = mapped_column(String(500), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    status: Mapped[ChallengeStatus] = mapped_column(enum_type(ChallengeStatus), nullable=False,
                                                    default=ChallengeStatus.OPEN)
    resolution: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)

    attempt: Mapped[Attempt] = relationship()
    item: Mapped[PaperItem] = relationship()

    __table_args__ = (UniqueConstraint("attempt_id", "item_id"),)


class KeyOverride(db.Model):
    """An exam's decision on a faulty question: a corrected key, or void (everyone gets the points).
    The bank's version stays as it was; grading in this exam uses the override."""

    __tablename__ = "key_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), nullable=False)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False)
    answer: Mapped[object | None] = mapped_column(JSON, nullable=True)
    void: Mapped[bool] = mapped_column(nullable=False, default=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    __table_args__ = (UniqueConstraint("exam_id", "question_version_id"),)


class Regrade(Immutable, db.Model):
    """One attempt's score before and after a key decision."""

    __tablename__ = "regrades"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"), nullable=False, index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), nullable=False)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False)
    before: Mapped[Decimal] = mapped_column(Points, nullable=False)
    after: Mapped[Decimal] = mapped_column(Points, nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)

    attempt: Mapped[Attempt] = relationship()
