from __future__ import annotations

from datetime import datetime

from flask_babel import LazyString, pgettext
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import LabelledEnum, PublicIdMixin, TimestampMixin, enum_type


class Role(LabelledEnum):
    CANDIDATE = "candidate"
    CENTRE_STAFF = "centre_staff"
    REFEREE = "referee"
    CHIEF_REFEREE = "chief_referee"
    INVIGILATOR = "invigilator"
    ADMIN = "admin"
    # An organisation that checks certificates it is shown (an Excel of numbers and names); its
    # name is the account's full name. Sees only its own pages.
    EMPLOYER = "employer"

    @classmethod
    def labels(cls) -> dict:
        return {
            cls.CANDIDATE: _l("Candidate"),
            cls.CENTRE_STAFF: _l("Training centre staff"),
            cls.REFEREE: _l("Referee"),
            cls.CHIEF_REFEREE: _l("Chief referee"),
            cls.INVIGILATOR: _l("Invigilator"),
            cls.ADMIN: _l("Administrator"),
            # "Employer" alone is the candidate's workplace (工作单位) elsewhere: this one is the role.
            cls.EMPLOYER: LazyString(lambda: pgettext("role", "Employer")),
        }


class TrainingCentre(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "training_centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    contact_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    active: Mapped[bool] = mapped_column(nullable=False, default=True)

    staff: Mapped[list[User]] = relationship(back_populates="centre")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class User(UserMixin, PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(60), nullable=False)
    email: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    role: Mapped[Role] = mapped_column(
        enum_type(Role),
        nullable=False,
    )
    centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_centres.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    must_change_password: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Bumped on password change or disable: every existing session of the user ends.
    session_version: Mapped[int] = mapped_column(nullable=False, default=1)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)

    centre: Mapped[TrainingCentre | None] = relationship(back_populates="staff")

    __table_args__ = (
        CheckConstraint(
            "role != 'centre_staff' OR centre_id IS NOT NULL", name="centre_staff_has_centre"
        ),
    )

    AUDITED_FIELDS = ["username", "full_name", "email", "role", "centre_id", "active"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"

    # Flask-Login
    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"


class LoginAttempt(db.Model):
    """One sign-in attempt, kept for the throttle (shared by every worker through the database)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    succeeded: Mapped[bool] = mapped_column(nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False)

    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )
