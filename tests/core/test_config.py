import os
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, session

from app import create_app
from config import DEFAULT_SECRET_KEY, normalise_database_url

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", DEFAULT_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_a_real_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("BASE_URL", "https://exam.example.cn")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and not app.config["DEMO_DATA_ALLOWED"]


def test_production_refuses_without_its_public_address(monkeypatch, tmp_path):
    """Issue 15: every QR code prints BASE_URL; production left at the development default would
    issue certificates whose QR codes read as not found, so it refuses to start, saying why."""
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app("production")



def test_environment_overrides_every_setting(monkeypatch):
    monkeypatch.setenv("BASE_URL", "https://certs.example.cn")
    monkeypatch.setenv("TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("LOGIN_THROTTLE_PER_ACCOUNT", "7")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app("testing")
    assert app.config["BASE_URL"] == "https://certs.example.cn"
    assert app.config["TIMEZONE"] == "Asia/Urumqi"
    assert app.config["LOGIN_THROTTLE_PER_ACCOUNT"] == 7
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_a_sqlite_file_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    app = create_app("development")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///") and uri.endswith("instance/iiom.sqlite3")


@pytest.mark.parametrize("url", ["postgres://u:p@h/db", "postgresql://u:p@h/db",
                                 "postgresql+psycopg://u:p@h/db"])
def test_postgres_urls_use_psycopg3(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u:p@h/db"


def test_times_are_shown_in_the_configured_zone(app):
    from datetime import UTC, datetime

    from core.i18n import format_dt

    with app.test_request_context():
        assert format_dt(datetime(2026, 6, 1, 16, 30, tzinfo=UTC)) == "2026-06-02 00:30"


def _forged_admin_session(key: str) -> str:
    """A session cookie naming user 1, signed with `key`, as anyone knowing the key can make."""
    forger = Flask("forger")
    forger.secret_key = key
    return forger.session_interface.get_signing_serializer(forger).dumps({"_user_id": "1", "_fresh": True})


def test_development_without_secret_key_gets_a_random_key_kept_in_the_instance(monkeypatch, tmp_path):
    """Issue 12 L5: `make run` (development, no SECRET_KEY) used a public key, so anyone could
    sign an administrator's session. Now a random key is made once, kept (mode 0600) and reused;
    another instance folder has another key, and a session signed with the public one is void."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    here = tmp_path / "one" / "secret_key"
    monkeypatch.setenv("SECRET_KEY_FILE", str(here))
    first = create_app("development")
    key = first.config["SECRET_KEY"]
    assert key != DEFAULT_SECRET_KEY and len(key) >= 32
    assert here.read_text().strip() == key and stat.S_IMODE(here.stat().st_mode) == 0o600
    assert create_app("development").config["SECRET_KEY"] == key  # the next run, the same key
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "two" / "secret_key"))
    assert create_app("development").config["SECRET_KEY"] not in (key, DEFAULT_SECRET_KEY)
    forged = _forged_admin_session(DEFAULT_SECRET_KEY)
    with first.test_request_context(headers={"Cookie": f"session={forged}"}):
        assert "_user_id" not in session
    # The public key set on purpose is not used either.
    monkeypatch.setenv("SECRET_KEY", DEFAULT_SECRET_KEY)
    monkeypatch.setenv("SECRET_KEY_FILE", str(here))
    assert create_app("development").config["SECRET_KEY"] == key


def test_a_secret_key_from_the_environment_is_used_and_nothing_is_written(monkeypatch, tmp_path):
    """Issue 12 L5: SECRET_KEY set wins; testing and production never generate one (production
    hosts must share theirs, so production refuses instead)."""
    path = tmp_path / "secret_key"
    monkeypatch.setenv("SECRET_KEY_FILE", str(path))
    monkeypatch.setenv("SECRET_KEY", "e" * 40)
    assert create_app("development").config["SECRET_KEY"] == "e" * 40
    monkeypatch.delenv("SECRET_KEY")
    assert create_app("testing").config["SECRET_KEY"] == "test-secret-key"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    assert not path.exists()


def test_gunicorn_config_refuses_without_production(monkeypatch):
    """Issue 12 L5: deploy/gunicorn.conf.py is production's; it refuses, saying why, unless
    IIOM_CONFIG=production."""
    for value in (None, "development", "testing"):
        if value is None:
            monkeypatch.delenv("IIOM_CONFIG", raising=False)
        else:
            monkeypatch.setenv("IIOM_CONFIG", value)
        with pytest.raises(SystemExit, match="IIOM_CONFIG=production"):
            runpy.run_path(str(GUNICORN_CONF))
    monkeypatch.setenv("IIOM_CONFIG", "production")
    assert runpy.run_path(str(GUNICORN_CONF))["worker_class"] == "gthread"


def _gunicorn_check(env: dict) -> subprocess.CompletedProcess:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    return subprocess.run([str(gunicorn), "--config", str(GUNICORN_CONF), "--check-config", "app:create_app()"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_gunicorn_refuses_to_serve_development(tmp_path):
    """Issue 12 L5: the real gunicorn, started as `make serve-prod` starts it, exits with the
    message unless IIOM_CONFIG=production; with production's settings it starts."""
    env = {k: v for k, v in os.environ.items() if k not in ("IIOM_CONFIG", "SECRET_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'g.sqlite3'}", SECRET_KEY_FILE=str(tmp_path / "secret_key"))
    refused = _gunicorn_check(env)
    assert refused.returncode != 0 and "IIOM_CONFIG=production" in refused.stderr + refused.stdout
    served = _gunicorn_check({**env, "IIOM_CONFIG": "production", "SECRET_KEY": "p" * 64,
                              "BASE_URL": "https://exam.example.cn"})
    assert served.returncode == 0, served.stderr


def test_make_serve_prod_refuses_without_production():
    """Issue 12 L5: `make serve-prod` stops before doing anything unless IIOM_CONFIG=production."""
    env = {k: v for k, v in os.environ.items() if k != "IIOM_CONFIG"}
    refused = subprocess.run(["make", "-n", "serve-prod"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "IIOM_CONFIG=production" in refused.stderr
    allowed = subprocess.run(["make", "-n", "serve-prod"], cwd=ROOT, env={**env, "IIOM_CONFIG": "production"},
                             capture_output=True, text=True)
    assert allowed.returncode == 0 and "python deploy/serve.py" in allowed.stdout
