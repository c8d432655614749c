"""The migrations build the schema from empty, match the models, and go down and up again."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from core.extensions import db
from tests.conftest import PG_URL


def _check_cycle(url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "training_centres", "audit_log", "login_attempts", "alembic_version"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "users" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_sqlite_from_empty(tmp_path):
    _check_cycle(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    from sqlalchemy import text

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'wal.sqlite3'}"})
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def test_an_acknowledged_sqlite_commit_survives_a_power_cut(tmp_path):
    """Issue 14: synchronous=NORMAL in WAL mode may lose the last commits after a power cut or an
    OS crash (not a process kill). Acknowledged saves are durable by default: FULL (2) syncs the
    WAL on every commit. SQLITE_SYNCHRONOUS=NORMAL trades that for speed, if an operator must."""
    from sqlalchemy import text

    for setting, expected in ((None, 2), ("NORMAL", 1)):
        overrides = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'sync-{expected}.sqlite3'}"}
        if setting:
            overrides["SQLITE_SYNCHRONOUS"] = setting
        app = create_app(overrides)
        with app.app_context():
            assert db.session.execute(text("PRAGMA synchronous")).scalar() == expected
            db.session.remove()
            db.engine.dispose()


@pytest.mark.postgres
def test_postgres_from_empty(schema):
    # The suite's PostgreSQL database: down to empty, then up (and left at the head for the rest).
    _check_cycle(PG_URL)


def test_sqlite_migrates_a_database_with_data_pointing_at_a_rebuilt_table(tmp_path):
    """SQLite alters a table by copying and dropping it (batch mode): with rows of other tables
    pointing at it (the demo's certificate, its badge, its verify log), foreign keys refused the
    drop, so upgrading a database that held certificates failed at 0024."""
    from sqlalchemy import text

    from core import demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'data.sqlite3'}",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads"), "DEMO_PASSWORD": "demo-pass-2026",
                      "CERT_SIGNING_KEY_FILE": str(tmp_path / "cert-key.pem")})
    with app.app_context():
        upgrade()
        demo.load_all(app, db.session)
        db.session.commit()
        db.session.remove()
        downgrade(revision="0023")  # rebuilds certificates, which other rows point at
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() != "0023"
            assert conn.execute(text("SELECT count(*) FROM certificates")).scalar() >= 1
            assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()
