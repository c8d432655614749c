"""Browser tests: the app served on loopback as production serves it (granian and the buffered
bridge, embedded in a thread of the test process), Playwright driving Debian's Chromium.

They skip, saying why, where Chromium or Playwright is missing, except when REQUIRE_E2E is set
(as .ci/run does), where a missing browser is a failure."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
DEMO_PASSWORD = "Demo-pass-2026"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def press(page, label: str = "", *, key: str | None = None) -> None:
    """Submit a form by its button (or by a key in the focused field) and wait for the page it
    leads to. A click returns before the navigation starts, so waiting for the load state alone
    can see the old page, and a screenshot taken then fails as the page goes away."""
    if key:
        with page.expect_navigation():
            page.keyboard.press(key)
        return
    click(page, page.get_by_role("button", name=label, exact=True))


def click(page, button) -> None:
    """Click a submit button and wait for the next page; an irreversible action's button
    (data-confirm) first opens the confirmation dialog, which must say what will happen, and is
    confirmed there."""
    message = button.get_attribute("data-confirm")
    with page.expect_navigation():
        button.click()
        if message:
            dialog = page.get_by_test_id("confirm-dialog")
            dialog.get_by_test_id("confirm-yes").wait_for(state="visible")
            assert message in dialog.inner_text()
            dialog.get_by_test_id("confirm-yes").click()


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def live_app(live_server):
    """The app object behind the live server, for tests that set up data of their own."""
    return live_server.app


class LiveServer(str):
    """The base URL (a str), carrying the app it serves."""

    app = None


def _live_database(folder: Path) -> str:
    """A SQLite file; in the PostgreSQL pass (TEST_DATABASE_URL), a fresh database of its own
    beside the test database, so the browser tests run on PostgreSQL too."""
    from sqlalchemy import create_engine, make_url, text

    from tests.conftest import PG_URL

    if not PG_URL:
        return f"sqlite:///{folder / 'live.sqlite3'}"
    url = make_url(PG_URL)
    name = f"{url.database}_live"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The platform on 127.0.0.1 with a migrated database (SQLite, or PostgreSQL in that pass) and
    the demo data."""
    from flask_migrate import upgrade

    from app import create_app
    from core import demo
    from core.extensions import db

    folder = tmp_path_factory.mktemp("live")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": _live_database(folder),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "CERT_SIGNING_KEY_FILE": str(folder / "cert-key.pem"),
        "DEMO_PASSWORD": DEMO_PASSWORD,
    })
    with app.app_context():
        upgrade()
        demo.load_all(app, db.session)
        db.session.commit()
        db.session.remove()
    port, stop = _serve_in_process(app)
    url = LiveServer(f"http://127.0.0.1:{port}")
    url.app = app
    yield url
    stop()
    with app.app_context():
        db.engine.dispose()


def _serve_in_process(app):
    """The app served as production serves it (granian's HTTP layer and core/serving.py's bridge),
    embedded in a thread of the test process, so that a test can still move the server's clock
    (core.clock.freeze) and read its app. Returns the port and a function that stops it."""
    import asyncio

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    from core.serving import BufferedWSGI
    from tests.conftest import free_port, listening

    port = free_port()
    server = Server(BufferedWSGI(app, threads=4), address="127.0.0.1", port=port, interface=Interfaces.RSGI,
                    websockets=False, log_level=LogLevels.error)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    assert listening(port), "the embedded server did not start"

    def stop():
        loop.call_soon_threadsafe(server.stop)
        thread.join(timeout=10)
        loop.close()

    return port, stop


@pytest.fixture(scope="session")
def browser():
    reason = _unavailable()
    if reason:
        if os.environ.get("REQUIRE_E2E"):
            pytest.fail(f"browser tests are required here: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """Save a screenshot under test-artifacts/ (for people to look at; not asserted on)."""

    def shoot(name: str, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return shoot
