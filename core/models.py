"""Model base: naming convention, the UTC datetime type, public ids and timestamps."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Enum, MetaData, String, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry

from core import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware datetimes in Python, naive UTC in the database (the same on SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use core.clock.now()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    # Every `Mapped[datetime]` is stored as UTC through UTCDateTime.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def new_public_id() -> str:
    """A random, URL-safe identifier for anything that appears in a URL or a QR code."""
    return secrets.token_urlsafe(16)


class PublicIdMixin:
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, nullable=False, default=new_public_id
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(
        nullable=False, default=clock.now, onupdate=clock.now
    )


def enum_type(enum_cls, length: int = 20) -> Enum:
    """A StrEnum stored as its values in a VARCHAR with a CHECK (the same on SQLite and PostgreSQL)."""
    return Enum(enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry a translated label: override `labels()`."""

    @classmethod
    def labels(cls) -> dict:
        return {}

    @property
    def label(self) -> str:
        return str(self.labels().get(self, self.value))

    @classmethod
    def pairs(cls) -> list[tuple[str, object]]:
        """(value, lazy label) for every member, for select fields (see core.forms.choices)."""
        return [(m.value, cls.labels().get(m, m.value)) for m in cls]


class Immutable:
    """Rows of a model with this mixin are written once: the ORM refuses to update or delete them
    (the audit log, question versions). Migrations may add database triggers as a second guard."""


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_immutable_rows(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, Immutable):
            raise RuntimeError(f"{type(obj).__name__} rows are immutable (append-only)")
    for obj in session.dirty:
        if isinstance(obj, Immutable) and session.is_modified(obj, include_collections=False):
            raise RuntimeError(f"{type(obj).__name__} rows are immutable (append-only)")


def append_only_ddl(table: str, dialect: str) -> tuple[list[str], list[str]]:
    """(upgrade, downgrade) statements for triggers that make the database itself refuse UPDATE
    and DELETE on `table`, for migrations."""
    if dialect == "postgresql":
        return ([f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
                 f"BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql",
                 f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                 f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"],
                [f"DROP TRIGGER {table}_append_only ON {table}", f"DROP FUNCTION {table}_append_only()"])
    verbs = ("UPDATE", "DELETE")
    return ([f"CREATE TRIGGER {table}_no_{v.lower()} BEFORE {v} ON {table} "
             f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END" for v in verbs],
            [f"DROP TRIGGER {table}_no_{v.lower()}" for v in verbs])
