"""Shared fixtures: app, db, client, runner, login_as(role), frozen clock.

The schema always comes from the migrations. On SQLite (the default) it is built once into a
template file and copied into each test's in-memory database; with TEST_DATABASE_URL (a dedicated,
throwaway PostgreSQL database) it is built once and every table is truncated after each test.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy import event as sa_event

os.environ["IIOM_CONFIG"] = "testing"

from app import create_app  # noqa: E402
from core import clock  # noqa: E402
from core.extensions import db as _db  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
PASSWORD = "Correct-horse-42"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def free_port() -> int:
    """A loopback port nobody listens on now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int, seconds: float = 10) -> bool:
    """Wait until something accepts connections on the loopback port; whether it did in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def schema(tmp_path_factory):
    """Where the migrated schema lives: a SQLite template file, or the PostgreSQL test database."""
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(PG_URL)
        return {"url": PG_URL}
    template = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    _migrate(f"sqlite:///{template}")
    return {"url": "sqlite://", "template": template}


class Client(FlaskClient):
    """A test client whose every request runs in its own app context (its own `g` and database
    session, as in a real server), and that can submit forms with the CSRF token a browser sends."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.expire_all()  # the test's own session sees what the request committed
        return response

    def csrf_token(self) -> str:
        page = self.get("/login", follow_redirects=True).get_data(as_text=True)
        match = CSRF_META.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)


def _truncate_postgres(app) -> None:
    with app.app_context():
        tables = [t.name for t in _db.metadata.sorted_tables]
        with _db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(schema, tmp_path):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": schema["url"],
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "CERT_SIGNING_KEY_FILE": str(tmp_path / "cert-key.pem"),
    })
    app.test_client_class = Client
    with app.app_context():
        if "template" in schema:
            raw = _db.engine.raw_connection()
            try:
                source = sqlite3.connect(schema["template"])
                source.backup(raw.driver_connection)
                source.close()
            finally:
                raw.close()
        yield app
        _db.session.remove()
        if PG_URL:
            _truncate_postgres(app)
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


def shared_app(app, db, tmp_path, **settings):
    """An app several threads can use at once (with `settings`), for tests of real concurrency: this
    one on PostgreSQL, or one on a SQLite file holding a copy of the test's database as it is now.
    The caller disposes of the copy's engine (`if shared is not app`)."""
    if PG_URL:
        app.config.update(settings)
        return app
    path = tmp_path / "shared.sqlite3"
    raw = db.engine.raw_connection()
    try:
        target = sqlite3.connect(path)
        raw.driver_connection.backup(target)
        target.close()
    finally:
        raw.close()
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
                       "CERT_SIGNING_KEY_FILE": app.config["CERT_SIGNING_KEY_FILE"], **settings})


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def _unfreeze_clock():
    yield
    clock.freeze(None)


@pytest.fixture
def frozen_clock():
    """Freeze the platform's clock; call `.advance(seconds=...)` to move it."""

    class Frozen:
        def __init__(self) -> None:
            self.now = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
            clock.freeze(self.now)

        def advance(self, **delta) -> datetime:
            self.now += timedelta(**delta)
            clock.freeze(self.now)
            return self.now

    return Frozen()


@pytest.fixture
def create_user(db):
    """Factory: a committed user of a role (training-centre staff get a centre)."""
    from accounts import services
    from accounts.models import Role

    counter = {"n": 0}

    def make(role="candidate", *, username=None, password=PASSWORD, centre=None, **fields):
        role = Role(role)
        counter["n"] += 1
        if role is Role.CENTRE_STAFF and centre is None:
            centre = services.save_centre(
                db.session, centre=None, code=f"C{counter['n']:03d}", name=f"Centre {counter['n']}",
                contact_name="", phone="", address="", active=True,
            )
        user = services.create_user(
            db.session,
            username=username or f"{role.value.replace('_', '')}{counter['n']}",
            full_name=fields.pop("full_name", f"{role.value} {counter['n']}"),
            role=role,
            password=password,
            centre=centre,
            **fields,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    def do(username: str, password: str = PASSWORD):
        return client.submit("/login", {"username": username, "password": password})

    return do


@pytest.fixture
def login_as(create_user, login):
    """Create a user of `role`, sign the test client in as them, return the user."""

    def do(role="candidate", **fields):
        user = create_user(role, **fields)
        response = login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do


def pytest_collection_modifyitems(config, items):
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL to a throwaway database")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@contextmanager
def statements():
    """The SQL statements run inside the block (a list filled as they run): for the tests that a
    page's or a read's statement count does not grow with its rows."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa_event.listen(_db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa_event.remove(_db.engine, "before_cursor_execute", before)


def page_statements(client, url: str) -> tuple[int, str]:
    """How many SQL statements a GET of `url` ran, and the page."""
    with statements() as seen:
        page = client.get(url).get_data(as_text=True)
    return len(seen), page
