"""Events with their sessions, registration forms, corrections, training hours."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import LabelledEnum, PublicIdMixin, TimestampMixin, enum_type
from question_bank.models import Level
from registration import rules


class EventKind(LabelledEnum):
    CERTIFICATION = "certification"
    COMPETITION = "competition"

    @classmethod
    def labels(cls):
        return {cls.CERTIFICATION: _l("Certification"), cls.COMPETITION: _l("Competition")}


class Group(LabelledEnum):
    STUDENT = "student"
    STAFF = "staff"
    INTERNATIONAL = "international"

    @classmethod
    def labels(cls):
        return {cls.STUDENT: _l("Student group"), cls.STAFF: _l("Staff group"),
                cls.INTERNATIONAL: _l("International group")}


class Gender(LabelledEnum):
    MALE = "male"
    FEMALE = "female"

    @classmethod
    def labels(cls):
        return {cls.MALE: _l("Male"), cls.FEMALE: _l("Female")}


class Education(LabelledEnum):
    JUNIOR_HIGH = rules.Education.JUNIOR_HIGH.value
    HIGH_SCHOOL = rules.Education.HIGH_SCHOOL.value
    VOCATIONAL_COLLEGE = rules.Education.VOCATIONAL_COLLEGE.value
    BACHELOR = rules.Education.BACHELOR.value
    MASTER = rules.Education.MASTER.value

    @classmethod
    def labels(cls):
        return {cls.JUNIOR_HIGH: _l("Junior high school"), cls.HIGH_SCHOOL: _l("High school or secondary vocational"),
                cls.VOCATIONAL_COLLEGE: _l("Vocational college"), cls.BACHELOR: _l("Bachelor"),
                cls.MASTER: _l("Master or above")}


class State(LabelledEnum):
    DRAFT = rules.State.DRAFT.value
    SUBMITTED = rules.State.SUBMITTED.value
    CENTRE_APPROVED = rules.State.CENTRE_APPROVED.value
    APPROVED = rules.State.APPROVED.value
    ENROLLED = rules.State.ENROLLED.value
    RETURNED = rules.State.RETURNED.value
    REJECTED = rules.State.REJECTED.value
    WITHDRAWN = rules.State.WITHDRAWN.value

    @classmethod
    def labels(cls):
        return {cls.DRAFT: _l("Draft"), cls.SUBMITTED: _l("Submitted for review"),
                cls.CENTRE_APPROVED: _l("Approved by the centre"),
                cls.APPROVED: _l("Approved by the project centre"), cls.ENROLLED: _l("Enrolled"),
                cls.RETURNED: _l("Returned for correction"), cls.REJECTED: _l("Rejected"),
                cls.WITHDRAWN: _l("Withdrawn")}


class Event(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True, nullable=False)  # prefix of candidate numbers
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind), nullable=False)
    level: Mapped[Level] = mapped_column(enum_type(Level), nullable=False)
    groups: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    registration_opens: Mapped[datetime] = mapped_column(nullable=False)
    registration_closes: Mapped[datetime] = mapped_column(nullable=False)
    minimum_education: Mapped[Education] = mapped_column(enum_type(Education), nullable=False)
    require_full_hours: Mapped[bool] = mapped_column(nullable=False, default=False)
    correction_days: Mapped[int] = mapped_column(nullable=False, default=5)
    certificate_serial: Mapped[int] = mapped_column(nullable=False, default=0)  # taken under a row lock

    sessions: Mapped[list[EventSession]] = relationship(back_populates="event", order_by="EventSession.starts_at",
                                                        cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name


class EventSession(db.Model):
    """An exam session at a site: when and where candidates sit."""

    __tablename__ = "event_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(nullable=False)
    ends_at: Mapped[datetime] = mapped_column(nullable=False)
    site: Mapped[str] = mapped_column(String(120), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    seats: Mapped[int] = mapped_column(nullable=False, default=60)

    event: Mapped[Event] = relationship(back_populates="sessions")

    def __str__(self) -> str:
        return f"{self.name} · {self.site}"


class Registration(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("training_centres.id"), nullable=False, index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    state: Mapped[State] = mapped_column(enum_type(State), nullable=False, default=State.DRAFT, index=True)
    group: Mapped[Group | None] = mapped_column(enum_type(Group), nullable=True)

    # The form of seed 002, 2.5.
    full_name: Mapped[str] = mapped_column(String(40), nullable=False)
    gender: Mapped[Gender] = mapped_column(enum_type(Gender), nullable=False)
    birth_date: Mapped[date] = mapped_column(Date, nullable=False)
    education: Mapped[Education] = mapped_column(enum_type(Education), nullable=False)
    title: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    employer: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(30), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(120), nullable=False)
    id_number: Mapped[str] = mapped_column(String(18), nullable=False)
    resume: Mapped[str] = mapped_column(Text, nullable=False, default="")
    training_history: Mapped[str] = mapped_column(Text, nullable=False, default="")
    photo: Mapped[str | None] = mapped_column(String(80), nullable=True)

    # Review.
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    centre_opinion: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    centre_approved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    project_opinion: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    approved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    correction_deadline: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    # Enrolment and exam day.
    candidate_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("event_sessions.id"), nullable=True)
    seat: Mapped[int | None] = mapped_column(nullable=True)
    enrolled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(nullable=True)
    theory_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2), nullable=True)
    practical_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2), nullable=True)

    event: Mapped[Event] = relationship()
    centre = relationship("TrainingCentre")
    applicant = relationship("User", foreign_keys=[applicant_id])
    user = relationship("User", foreign_keys=[user_id])
    session: Mapped[EventSession | None] = relationship()
    corrections: Mapped[list[Correction]] = relationship(back_populates="registration", order_by="Correction.id",
                                                         cascade="all, delete-orphan")
    hours: Mapped[list[TrainingRecord]] = relationship(back_populates="registration", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("event_id", "id_number"),
        UniqueConstraint("event_id", "candidate_number"),
        UniqueConstraint("session_id", "seat"),
    )

    FORM_FIELDS = ("full_name", "gender", "birth_date", "education", "title", "employer", "phone", "address",
                   "email", "id_number", "resume", "training_history", "group")

    def __str__(self) -> str:
        return f"{self.full_name} · {self.event.name if self.event else ''}"

    @property
    def open_corrections(self) -> list[Correction]:
        return [c for c in self.corrections if c.resolved_at is None]


class Correction(db.Model):
    """One field the applicant must correct; a return lists them all at once, with one deadline."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), nullable=False)
    round: Mapped[int] = mapped_column(nullable=False)
    field: Mapped[str] = mapped_column(String(40), nullable=False)
    comment: Mapped[str] = mapped_column(String(500), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)

    registration: Mapped[Registration] = relationship(back_populates="corrections")


class TrainingRecord(db.Model):
    """Hours of one course of the level's course table, recorded by the training centre."""

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), nullable=False)
    course: Mapped[str] = mapped_column(String(8), nullable=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    registration: Mapped[Registration] = relationship(back_populates="hours")

    __table_args__ = (UniqueConstraint("registration_id", "course"),)


class AccountSlip(db.Model):
    """The initial password of an account created at enrolment, kept until a slip hands it over.

    Downloading the slips (PDF or Excel) wipes the secret and records who did it and when: a slip
    can be downloaded once. A password that was never used can be issued again (a new one), which
    makes the old slip worthless."""

    __tablename__ = "account_slips"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), nullable=False,
                                                 unique=True)
    secret: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    handed_over_at: Mapped[datetime | None] = mapped_column(nullable=True)
    handed_over_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    registration: Mapped[Registration] = relationship()
    handed_over_by = relationship("User")
