"""The append-only audit log and the one helper every module calls for a change that matters.

    audit.record(session, "user.update", target=user, before=old, after=new)

The actor and the client address come from the request when there is one. Rows are never updated
or deleted: the ORM refuses it (core.models.Immutable), and database triggers refuse it too.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Index, String, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.extensions import db
from core.models import Immutable


class AuditLog(Immutable, db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(nullable=False, default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    actor_name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    actor_role: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    action: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    object_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    object_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    comment: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for every field that differs."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    json.dumps(value)  # raises for anything else that JSON cannot carry
    return value


def snapshot(obj: Any, fields: list[str]) -> dict:
    """The values of `fields` on `obj`, ready for the `before`/`after` of a record."""
    return {f: _jsonable(getattr(obj, f)) for f in fields}


# What each action is called on a page (the history of a form, the audit log): every package names
# its own actions with describe(); a page never shows the action's code (tests/core/test_audit_labels.py).
_LABELS: dict[str, Any] = {}


def describe(labels: dict[str, Any]) -> None:
    """Name actions for people: {"registration.submit": _l("Submitted"), ...}."""
    _LABELS.update(labels)


def action_label(action: str) -> str:
    """An action as people call it, in the reader's language."""
    label = _LABELS.get(action)
    return str(label) if label is not None else str(_l("Other change"))


def described(action: str) -> bool:
    return action in _LABELS


def record(
    session: Session,
    action: str,
    *,
    target: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    comment: str = "",
    actor: Any = None,
) -> AuditLog:
    """Append one entry. `target` is a mapped object (its table, public id or key, and str())."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditLog(
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", "") or "",
        actor_role=str(getattr(actor, "role", "") or ""),
        action=action,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        comment=comment[:1000],
        address=(request.remote_addr or "")[:64] if has_request_context() else "",
    )
    if target is not None:
        entry.object_type = inspect(target).mapper.local_table.name
        ident = getattr(target, "public_id", None) or getattr(target, "id", None)
        entry.object_id = str(ident or "")
        entry.object_label = str(target)[:200]
    session.add(entry)
    return entry
