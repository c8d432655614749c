"""Shared pieces of the security tests: hostile strings, a second signed-in browser, and a
snapshot of every table that proves a refused request changed nothing."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import select

from tests.certificates.conftest import final_results  # noqa: F401 (fixture)
from tests.conftest import PASSWORD
from tests.exam.conftest import bank, make_exam  # noqa: F401 (fixtures)
from tests.question_bank.conftest import create_question  # noqa: F401 (fixture)
from tests.registration.conftest import draft, event, staff  # noqa: F401 (fixtures)
from tests.scoring.conftest import panel  # noqa: F401 (fixture)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW_TAGS = ("<script>alert", "<img src=x")

SQLI = ("' OR 1=1 --", '"; DROP TABLE users; --', "%' UNION SELECT username FROM users --")


def sign_in(client, user) -> None:
    response = client.submit("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, f"{user.username} could not sign in"


@pytest.fixture
def browser(app):
    """Another browser (its own cookies and CSRF token), signed in as `user`."""

    def open_as(user):
        client = app.test_client()
        sign_in(client, user)
        return client

    return open_as


def snapshot(db) -> dict[str, list[str]]:
    """Every row of every table, as text, so that a test can assert that nothing changed."""
    rows = {}
    for table in db.metadata.sorted_tables:
        rows[table.name] = sorted(repr(tuple(r)) for r in db.session.execute(select(table)))
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def assert_escaped(page: str, payload: str, where: str) -> None:
    """The payload is on the page as text (escaped), never as markup."""
    assert payload not in page, f"{where}: the payload is in the page unescaped"
    for tag in RAW_TAGS:
        assert tag not in page.lower(), f"{where}: a raw {tag!r} tag is in the page"
    assert str(escape(payload)) in page, f"{where}: the payload is not shown at all"
