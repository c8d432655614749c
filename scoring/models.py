"""Marking schemes (versioned), stations drawn per task, referee assignments, marks, violations,
divergence flags, task locks and sign-offs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.models import Immutable, LabelledEnum, PublicIdMixin, TimestampMixin, enum_type
from scoring import rules

Points = Numeric(7, 2)


class AspectKind(LabelledEnum):
    MEASUREMENT = rules.AspectKind.MEASUREMENT.value
    JUDGEMENT = rules.AspectKind.JUDGEMENT.value
    DEDUCTION = rules.AspectKind.DEDUCTION.value

    @classmethod
    def labels(cls):
        return {cls.MEASUREMENT: _l("Measurement"), cls.JUDGEMENT: _l("Judgement"), cls.DEDUCTION: _l("Deduction")}


class MarkStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @classmethod
    def labels(cls):
        return {cls.DRAFT: _l("Draft"), cls.SUBMITTED: _l("Submitted by the referee")}


class FlagStatus(LabelledEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    REMARK = "remark"

    @classmethod
    def labels(cls):
        return {cls.OPEN: _l("Open"), cls.CONFIRMED: _l("Confirmed by the chief referee"),
                cls.REMARK: _l("Sent back for re-marking")}


class Scheme(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    total: Mapped[Decimal] = mapped_column(Points, nullable=False, default=Decimal(100))
    gap: Mapped[Decimal] = mapped_column(Points, nullable=False, default=Decimal(1))  # judgement divergence
    # Paper score sheets typed in later: a mark counts only once a second person has confirmed it.
    two_person: Mapped[bool] = mapped_column(nullable=False, default=False)
    locked_at: Mapped[datetime | None] = mapped_column(nullable=True)

    event = relationship("Event")
    tasks: Mapped[list[Task]] = relationship(back_populates="scheme", order_by="Task.number",
                                             cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("event_id", "version"),)

    def __str__(self) -> str:
        return f"{self.event.name if self.event else ''} v{self.version}"


class Task(db.Model):
    __tablename__ = "scoring_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    max_points: Mapped[Decimal] = mapped_column(Points, nullable=False)
    locked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    signed_off_at: Mapped[datetime | None] = mapped_column(nullable=True)  # by the chief referee: names shown

    scheme: Mapped[Scheme] = relationship(back_populates="tasks")
    aspects: Mapped[list[Aspect]] = relationship(back_populates="task", order_by="Aspect.position",
                                                 cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("scheme_id", "number"),)

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Aspect(db.Model):
    __tablename__ = "aspects"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("scoring_tasks.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    code: Mapped[str] = mapped_column(String(10), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[AspectKind] = mapped_column(enum_type(AspectKind), nullable=False)
    max_points: Mapped[Decimal] = mapped_column(Points, nullable=False)
    step: Mapped[Decimal | None] = mapped_column(Points, nullable=True)
    judges: Mapped[int] = mapped_column(nullable=False, default=3)

    task: Mapped[Task] = relationship(back_populates="aspects")


class Station(db.Model):
    """The station number a candidate works at for one task, drawn at random: referees see only it."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("scoring_tasks.id", ondelete="CASCADE"), nullable=False)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)

    task: Mapped[Task] = relationship()
    registration = relationship("Registration")

    __table_args__ = (UniqueConstraint("task_id", "number"), UniqueConstraint("task_id", "registration_id"))


class Assignment(db.Model):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("scoring_tasks.id", ondelete="CASCADE"), nullable=False)
    referee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), nullable=False)

    referee = relationship("User")

    __table_args__ = (UniqueConstraint("task_id", "referee_id", "registration_id"),)


class Mark(db.Model):
    """One referee's judgement score (slot = the referee), or the shared measurement mark (slot 0)
    of an aspect for a candidate. The version column makes concurrent edits fail loudly instead of
    silently overwriting each other."""

    __tablename__ = "marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    aspect_id: Mapped[int] = mapped_column(ForeignKey("aspects.id"), nullable=False)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), nullable=False, index=True)
    slot: Mapped[int] = mapped_column(nullable=False, default=0)
    value: Mapped[Decimal] = mapped_column(Points, nullable=False)
    status: Mapped[MarkStatus] = mapped_column(enum_type(MarkStatus), nullable=False, default=MarkStatus.DRAFT)
    referee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=clock.now)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    aspect: Mapped[Aspect] = relationship()
    referee = relationship("User", foreign_keys=[referee_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])

    __table_args__ = (UniqueConstraint("aspect_id", "registration_id", "slot"),)
    __mapper_args__ = {"version_id_col": version}


class Violation(db.Model):
    """A recorded violation on a deduction aspect (task 6), with its reason."""

    __tablename__ = "violations"

    id: Mapped[int] = mapped_column(primary_key=True)
    aspect_id: Mapped[int] = mapped_column(ForeignKey("aspects.id"), nullable=False)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), nullable=False, index=True)
    points: Mapped[Decimal] = mapped_column(Points, nullable=False)
    reason: Mapped[str] = mapped_column(String(300), nullable=False)
    referee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False)


class Flag(db.Model):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    aspect_id: Mapped[int] = mapped_column(ForeignKey("aspects.id"), nullable=False)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), nullable=False)
    status: Mapped[FlagStatus] = mapped_column(enum_type(FlagStatus), nullable=False, default=FlagStatus.OPEN)
    raised_at: Mapped[datetime] = mapped_column(nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    aspect: Mapped[Aspect] = relationship()

    __table_args__ = (UniqueConstraint("aspect_id", "registration_id"),)


class SignOff(Immutable, db.Model):
    """A stage's signature on a task's marks (referee → chief referee → supervisor), with the
    digest of what it signed, and locks and unlocks (stage "lock" / "unlock")."""

    __tablename__ = "sign_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("scoring_tasks.id"), nullable=False, index=True)
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(nullable=False)

    user = relationship("User")
    task: Mapped[Task] = relationship()


# --- the staff group's teaching demonstration (说课) ------------------------------------------------

RUBRIC = (  # criterion, label, maximum (100 in all)
    ("objectives", _l("Teaching objectives"), 15),
    ("content", _l("Teaching content"), 20),
    ("methods", _l("Teaching methods"), 20),
    ("process", _l("Teaching process"), 20),
    ("media", _l("Media and resources"), 15),
    ("evaluation", _l("Teaching evaluation"), 10),
)


class VideoExpert(db.Model):
    __tablename__ = "video_experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)

    user = relationship("User")

    __table_args__ = (UniqueConstraint("event_id", "user_id"),)


class TeachingVideo(PublicIdMixin, db.Model):
    """A staff-group candidate's 10-12 minute teaching demonstration: an uploaded file or a link."""

    __tablename__ = "teaching_videos"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), nullable=False, unique=True)
    file: Mapped[str | None] = mapped_column(String(80), nullable=True)
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(nullable=False)

    registration = relationship("Registration")
    scores: Mapped[list[VideoScore]] = relationship(back_populates="video", cascade="all, delete-orphan")


class VideoScore(db.Model):
    __tablename__ = "video_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("teaching_videos.id", ondelete="CASCADE"), nullable=False)
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    scores: Mapped[dict] = mapped_column(db.JSON, nullable=False)
    total: Mapped[Decimal] = mapped_column(Points, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(nullable=False)

    video: Mapped[TeachingVideo] = relationship(back_populates="scores")
    expert = relationship("User")

    __table_args__ = (UniqueConstraint("video_id", "expert_id"),)
