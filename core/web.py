"""The end of a form request: call one service, commit once, or show its domain error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash

from core.errors import DomainError
from core.extensions import db


def show_error(form, error: DomainError) -> None:
    """Put a domain error on its field when the form has it, else flash it."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "danger")


def commit_service(form, service: Callable, /, **kwargs) -> tuple[bool, Any]:
    """`service(db.session, **kwargs)`, then commit: (True, result). On a domain error, roll back,
    show the message on `form`, and return (False, None): nothing was changed."""
    try:
        result = service(db.session, **kwargs)
    except DomainError as exc:
        db.session.rollback()
        show_error(form, exc)
        return False, None
    db.session.commit()
    return True, result
