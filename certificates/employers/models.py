"""API keys: issued by an administrator to an organisation, rate-limited, revocable. Only the
secret's SHA-256 is stored, with a short prefix that lets people recognise a key."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from core.extensions import db
from core.models import LabelledEnum, PublicIdMixin, enum_type


class RatePeriod(LabelledEnum):
    MINUTE = "minute"
    HOUR = "hour"

    @classmethod
    def labels(cls):
        return {cls.MINUTE: _l("per minute"), cls.HOUR: _l("per hour")}

    @property
    def seconds(self) -> int:
        return 60 if self is RatePeriod.MINUTE else 3600


class ApiKey(PublicIdMixin, db.Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120), nullable=False)  # the organisation
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)  # the secret's first characters, shown
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # SHA-256, hex
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), nullable=True,
                                                 index=True)
    rate_limit: Mapped[int] = mapped_column(nullable=False)  # requests per period
    rate_period: Mapped[RatePeriod] = mapped_column(enum_type(RatePeriod, length=10), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    use_count: Mapped[int] = mapped_column(nullable=False, default=0)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"
