import pytest

from app import create_app
from config import DEFAULT_SECRET_KEY, normalise_database_url


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", DEFAULT_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_a_real_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and not app.config["DEMO_DATA_ALLOWED"]


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


def test_default_database_is_a_sqlite_file_under_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
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
