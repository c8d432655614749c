"""The issuer of Open Badges, its Bitstring Status Lists and each certificate's credential."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import PublicIdMixin

STATUS_LIST_LENGTH = 131_072  # the minimum the Bitstring Status List recommends, for group privacy (16 KiB)


class BadgeIssuer(PublicIdMixin, db.Model):
    """An issuer name (the result rules' issuer) as an Open Badges Profile at a stable URL."""

    __tablename__ = "badge_issuers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False)


class StatusList(PublicIdMixin, db.Model):
    """A revocation Bitstring Status List of one issuer: `length` bits, stored gzip-compressed as
    the standard publishes them (bit 0 is the most significant bit of the first byte). A list
    that is full is closed and the next certificate opens a new one."""

    __tablename__ = "badge_status_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("badge_issuers.id"), nullable=False, index=True)
    length: Mapped[int] = mapped_column(nullable=False, default=STATUS_LIST_LENGTH)
    used: Mapped[int] = mapped_column(nullable=False, default=0)
    bits: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # gzip of length/8 bytes
    created_at: Mapped[datetime] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = mapped_column(nullable=False)

    issuer: Mapped[BadgeIssuer] = relationship()


class BadgeCredential(db.Model):
    """A certificate's OpenBadgeCredential, signed once and stored: every download is the same
    document. The holder is identified by a salted SHA-256 of the ID number; the number itself
    is not kept here."""

    __tablename__ = "badge_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), nullable=False, unique=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    status_list_id: Mapped[int] = mapped_column(ForeignKey("badge_status_lists.id"), nullable=False)
    status_index: Mapped[int] = mapped_column(nullable=False)
    identity_hash: Mapped[str] = mapped_column(String(80), nullable=False)
    salt: Mapped[str] = mapped_column(String(40), nullable=False)
    document: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False)

    status_list: Mapped[StatusList] = relationship()

    __table_args__ = (UniqueConstraint("status_list_id", "status_index"),)
