"""`flask core ...`: database creation, demo data, health."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from core import demo, health
from core.extensions import db

cli = AppGroup("core", help="Database, demo data and health.")


@cli.command("create-db")
def create_db() -> None:
    """Create the database (SQLite file or PostgreSQL schema) by running every migration."""
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade()
    click.echo("database at the latest migration")


@cli.command("load-demo")
def load_demo() -> None:
    """Load the demo data (idempotent: a second run changes nothing)."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("demo data is refused in this configuration (production)")
    lines = demo.load_all(current_app._get_current_object(), db.session)
    db.session.commit()
    for line in lines:
        click.echo(line)


@cli.command("health")
def health_check() -> None:
    """Check the database, migrations, translations and upload folder; exit 1 on a problem."""
    checks = {
        "database": health.database_ok,
        "migrations": health.migrations_ok,
        "translations": health.translations_ok,
        "uploads": health.uploads_ok,
        "scheduler": health.scheduler_ok,
    }
    warnings = {"base_url": health.base_url_ok}  # reported, not failing: the server may not be up yet
    failed = False
    for name, check in {**checks, **warnings}.items():
        try:
            ok, detail = check()
        except Exception as exc:  # a failing check is reported, not raised
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        failed |= not ok and name in checks
        click.echo(f"{name:<13}{'ok  ' if ok else ('FAIL' if name in checks else 'WARN')}  {detail}")
    sys.exit(1 if failed else 0)
