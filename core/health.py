"""Health checks shared by GET /healthz and `flask core health`."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from core.extensions import db


def database_ok() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as exc:  # any failure means "not reachable" to the caller
        db.session.rollback()
        return False, type(exc).__name__


def migrations_ok() -> tuple[bool, str]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    migrate_ext = current_app.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate_ext.migrate.get_config())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    heads = set(script.get_heads())
    if current == heads:
        return True, ", ".join(sorted(heads))
    return False, f"database at {sorted(current) or 'nothing'}, code at {sorted(heads)}"


def translations_ok() -> tuple[bool, str]:
    root = Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"])
    missing = [
        lang for lang in current_app.config["LANGUAGES"]
        if lang != "en" and not (root / lang / "LC_MESSAGES" / "messages.mo").exists()
    ]
    return (not missing, "compiled" if not missing else f"not compiled: {', '.join(missing)}")


def uploads_ok() -> tuple[bool, str]:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return False, str(exc)
    return (os.access(folder, os.W_OK), str(folder))


def scheduler_ok() -> tuple[bool, str]:
    """The scheduler process is alive when some job ran in the last ten minutes."""
    from core import clock, jobruns

    last = jobruns.last_run(db.session)
    if last is None:
        return False, "no scheduled run recorded yet (is `flask scheduler run` running?)"
    age = (clock.now() - last).total_seconds()
    return age < 600, f"last run {int(age)} s ago"
