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


def base_url_mismatch(request_host: str) -> str | None:
    """The host BASE_URL names when it is not the one this request came to (QR codes and e-mails
    would send people elsewhere), else None."""
    from urllib.parse import urlsplit

    configured = urlsplit(current_app.config.get("BASE_URL") or "").netloc.lower()
    return configured if configured and configured != (request_host or "").lower() else None


def base_url_ok() -> tuple[bool, str]:
    """BASE_URL answers as this platform: its /healthz gives this version. Printed in every QR
    code, so a wrong one makes genuine certificates read as not found."""
    import json
    import urllib.request

    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=3) as response:  # noqa: S310 (our own URL)
            version = json.loads(response.read(4096)).get("version")
    except Exception as exc:  # unreachable, not JSON, not ours: all say the same to the operator
        return False, f"{base} does not answer as this platform ({type(exc).__name__})"
    if version != current_app.config.get("VERSION"):
        return False, f"{base} answers, but as version {version!r}, not this one"
    return True, base
