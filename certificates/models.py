"""Result rules, results, publicity and objections, certificates, verifications, issue batches."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import LabelledEnum, PublicIdMixin, enum_type

Points = Numeric(7, 2)
Ratio = Numeric(4, 3)


class ResultStatus(LabelledEnum):
    COMPUTED = "computed"
    PUBLISHED = "published"
    FINAL = "final"

    @classmethod
    def labels(cls):
        return {cls.COMPUTED: _l("Computed"), cls.PUBLISHED: _l("In publicity"), cls.FINAL: _l("Final")}


class CertificateKind(LabelledEnum):
    COMPETENCE = "competence"
    AWARD = "award"

    @classmethod
    def labels(cls):
        return {cls.COMPETENCE: _l("Vocational competence certificate"), cls.AWARD: _l("Award certificate")}


class ResultRule(db.Model):
    __tablename__ = "result_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, unique=True)
    theory_weight: Mapped[Decimal] = mapped_column(Ratio, nullable=False, default=Decimal("0.3"))
    practical_weight: Mapped[Decimal] = mapped_column(Ratio, nullable=False, default=Decimal("0.7"))
    theory_pass: Mapped[Decimal] = mapped_column(Points, nullable=False, default=Decimal(60))
    practical_pass: Mapped[Decimal] = mapped_column(Points, nullable=False, default=Decimal(60))
    tie_break: Mapped[str] = mapped_column(String(40), nullable=False, default="practical,theory,number")
    first_ratio: Mapped[Decimal] = mapped_column(Ratio, nullable=False, default=Decimal("0.1"))
    second_ratio: Mapped[Decimal] = mapped_column(Ratio, nullable=False, default=Decimal("0.2"))
    third_ratio: Mapped[Decimal] = mapped_column(Ratio, nullable=False, default=Decimal("0.3"))
    publicity_days: Mapped[int] = mapped_column(nullable=False, default=5)
    expiry_years: Mapped[int | None] = mapped_column(nullable=True)
    issuer: Mapped[str] = mapped_column(String(120), nullable=False, default="工业互联网系统运维技能提升项目中心")


class Result(db.Model):
    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), nullable=False, unique=True)
    theory: Mapped[Decimal | None] = mapped_column(Points, nullable=True)
    practical: Mapped[Decimal | None] = mapped_column(Points, nullable=True)
    total: Mapped[Decimal | None] = mapped_column(Points, nullable=True)
    passed: Mapped[bool] = mapped_column(nullable=False, default=False)
    rank: Mapped[int | None] = mapped_column(nullable=True)
    award: Mapped[int | None] = mapped_column(nullable=True)  # 1 first prize, 2 second, 3 third
    status: Mapped[ResultStatus] = mapped_column(enum_type(ResultStatus), nullable=False,
                                                 default=ResultStatus.COMPUTED)
    computed_at: Mapped[datetime] = mapped_column(nullable=False)
    final_at: Mapped[datetime | None] = mapped_column(nullable=True)

    registration = relationship("Registration")
    objections: Mapped[list[Objection]] = relationship(back_populates="result", cascade="all, delete-orphan")


class Publication(db.Model):
    """The publicity period (公示) of an event's results."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    published_at: Mapped[datetime] = mapped_column(nullable=False)
    ends_at: Mapped[datetime] = mapped_column(nullable=False)


class ObjectionStatus(LabelledEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    ANSWERED = "answered"

    @classmethod
    def labels(cls):
        return {cls.RECEIVED: _l("Received"), cls.IN_REVIEW: _l("In review"),
                cls.ANSWERED: _l("Answered by the project centre")}


class ObjectionKind(LabelledEnum):
    OBJECTION = "objection"  # 异议: the result, or a listed entry, is wrong
    REVIEW = "review"  # 复核: mark one part again (the theory paper, or one practical task)

    @classmethod
    def labels(cls):
        return {cls.OBJECTION: _l("Objection"), cls.REVIEW: _l("Request for review")}


class Objection(PublicIdMixin, db.Model):
    """An objection to a published result or a request to review one of its parts, filed by the
    candidate, by anyone about a listed entry, or recorded by an administrator. Its public id is
    the filer's receipt: the status page shows the state and, once given, the answer. While any
    objection of a result is unanswered the result cannot become final."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    kind: Mapped[ObjectionKind] = mapped_column(enum_type(ObjectionKind), nullable=False,
                                                default=ObjectionKind.OBJECTION)
    part: Mapped[str] = mapped_column(String(20), nullable=False, default="")  # "", "theory" or "task-<n>"
    text: Mapped[str] = mapped_column(String(1000), nullable=False)  # the reason
    status: Mapped[ObjectionStatus] = mapped_column(enum_type(ObjectionStatus), nullable=False,
                                                    default=ObjectionStatus.RECEIVED)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    filer_name: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    filer_contact: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    raised_at: Mapped[datetime] = mapped_column(nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)  # when the answer is due
    review_started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolution: Mapped[str] = mapped_column(String(1000), nullable=False, default="")  # the answer
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)  # answered at

    result: Mapped[Result] = relationship(back_populates="objections")
    filed_by = relationship("User", foreign_keys=[filed_by_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])


class Certificate(PublicIdMixin, db.Model):
    """An issued certificate. The facts printed on it are kept here as issued, so the verify page
    shows exactly what the PDF shows."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    serial: Mapped[int] = mapped_column(nullable=False, default=1)  # 1 the original, then each reissue

    kind: Mapped[CertificateKind] = mapped_column(enum_type(CertificateKind), nullable=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False, index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), nullable=False)
    holder_name: Mapped[str] = mapped_column(String(40), nullable=False)
    masked_id: Mapped[str] = mapped_column(String(20), nullable=False)
    photo: Mapped[str | None] = mapped_column(String(80), nullable=True)
    skill: Mapped[str] = mapped_column(String(80), nullable=False)
    title: Mapped[str] = mapped_column(String(80), nullable=False)  # the level, or the award
    title_en: Mapped[str] = mapped_column(String(80), nullable=False)
    scores: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    issuer: Mapped[str] = mapped_column(String(120), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoke_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    pdf: Mapped[str | None] = mapped_column(String(80), nullable=True)  # the stored file: re-downloads are identical
    # A reissue (lost) or a correction (name, ID number) makes a new document under the same number
    # with the next serial; the old one points to it and is no longer valid.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), nullable=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reissue_note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    correction_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    event = relationship("Event")
    registration = relationship("Registration")
    superseded_by = relationship("Certificate", foreign_keys=[superseded_by_id], remote_side=[id])

    __table_args__ = (UniqueConstraint("number", "serial"), UniqueConstraint("registration_id", "kind", "serial"))


class Verification(db.Model):
    """Every verification: time, address, what was asked, found or not."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    address: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(10), nullable=False)  # "qr" | "lookup" | "share" | "api" | "excel"
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), nullable=True)
    found: Mapped[bool] = mapped_column(nullable=False)


class IssueBatch(db.Model):
    """Issuing a whole event's certificates, worked through by a scheduled job in chunks so the
    page can show progress and be left and come back to."""

    __tablename__ = "issue_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    total: Mapped[int] = mapped_column(nullable=False)
    done: Mapped[int] = mapped_column(nullable=False, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
