"""The end of a form request: call one service, commit once, or show its domain error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import flash, request
from wtforms import Field

from core.errors import DomainError
from core.extensions import db


def show_error(form, error: DomainError) -> None:
    """Put a domain error on its field when the form has it, else flash it."""
    field = getattr(form, error.field, None) if error.field else None
    if isinstance(field, Field):  # not a method or attribute of the form that shares the name
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


MAX_PAGE = 100_000


def page_arg() -> int:
    """The `page` query argument, clamped to what a list can have (never an error)."""
    try:
        page = int(request.args.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)


def args_except(*names: str) -> dict:
    """The query arguments without `names`, for links that set those themselves (export links)."""
    return {k: v for k, v in request.args.to_dict().items() if k not in names}


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: no open redirect through a `next`
    (a control character or a backslash could turn '/x' into '//elsewhere' in a browser)."""
    if not target or any(ord(c) < 0x20 or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
