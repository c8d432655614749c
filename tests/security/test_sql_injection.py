"""SQL-injection strings in every search box, filter and lookup: the answer is a page (200) or a
clear refusal, never a server error; no row outside the search (or outside the user's reach)
appears; every table is still there afterwards."""

from __future__ import annotations

import io
from urllib.parse import quote, urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select

from accounts import services as accounts
from accounts.models import User
from question_bank import services as bank
from question_bank.models import Question, QuestionStatus
from registration.models import Registration
from tests.conftest import PASSWORD
from tests.question_bank.conftest import SAMPLES
from tests.security.conftest import SQLI, sign_in

HASH_PREFIXES = ("pbkdf2:", "scrypt:")


@pytest.fixture
def world(app, db, panel, final_results, create_user):
    """The scoring panel's event (three enrolled people in two centres, results), a question of
    the bank and one contributed by centre A, staff of both centres, a candidate who can sign in."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash shows as the 500 a user would get
    bank.create_question(
        db.session, data=dict(SAMPLES["single"]), actor=None, status=QuestionStatus.ACTIVE
    )
    bank.create_question(
        db.session,
        data=dict(SAMPLES["multiple"]),
        actor=None,
        status=QuestionStatus.DRAFT,
        centre=panel["centre_a"],
    )
    candidate = panel["people"][0].user
    accounts.set_password(db.session, user=candidate, password=PASSWORD, by_admin=False)
    db.session.commit()
    return {
        **panel,
        "users": {
            "admin": panel["admin"],
            "candidate": candidate,
            "centre_a": create_user("centre_staff", centre=panel["centre_a"]),
            "centre_b": create_user("centre_staff", centre=panel["centre_b"]),
        },
    }


def _counts(db) -> dict:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Registration, Question)
    }


def _assert_tables_intact(db, counts) -> None:
    present = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= present
    assert _counts(db) == counts


QUESTIONS = ("M1-J-001", "M5-I-001")  # the bank's question, centre A's draft
PEOPLE = ("选手0", "选手1", "选手2")  # centre A: 0 and 1; centre B: 2

# Per user: (the address, {p} standing for the hostile string; what must be on the page; what
# must not be). A text search matches nothing, so no row may appear. A select box given a value
# that is not one of its choices makes the filter form invalid and is ignored: the list is then
# everything the user may see anyway, and nothing more.
CHECKS = {
    "admin": [
        ("/question-bank/?q={p}", (), QUESTIONS),
        ("/admin/users?q={p}", (), ("{r1}", "{r2}", "{chief}")),
        ("/admin/users?role={p}&status={p}", ("{r1}",), ()),
        ("/registration/?q={p}", (), PEOPLE),
        ("/admin/audit?q={p}&actor={p}&action={p}", (), ("registration.enrol", "mark.")),
        ("/admin/audit?object_type={p}", (), ("registration.enrol",)),
        ("/admin/audit?date_from={p}&date_to={p}", ("registration.enrol",), ()),
        ("/certificates/admin/{event}?group={p}", (), PEOPLE),
        ("/certificates/admin/{event}?centre={p}", (), PEOPLE),
        ("/scoring/events/{event}/board?format={p}", (), ()),
    ],
    "centre_a": [
        ("/question-bank/?q={p}", (), QUESTIONS),
        (
            "/question-bank/?module={p}&level={p}&type={p}&difficulty={p}&status={p}",
            ("M5-I-001",),
            ("M1-J-001",),
        ),
        ("/question-bank/?tag={p}", (), ("M1-J-001",)),  # the longest string is invalid: ignored
    ],
    "centre_b": [
        ("/registration/?q={p}", (), PEOPLE),
        ("/registration/?state={p}&level={p}&event={p}&centre={p}", ("选手2",), ("选手0", "选手1")),
    ],
    "candidate": [  # candidate 0, whose own name is in the page's menu
        ("/registration/?q={p}", (), ("选手1", "选手2")),
        ("/exam/practice?module={p}&after={p}", (), ()),
    ],
}


@pytest.mark.parametrize("who", list(CHECKS))
def test_searches_and_filters_treat_sql_as_text(client, db, world, who):
    sign_in(client, world["users"][who])
    names = {k: world[k].username for k in ("r1", "r2", "chief")}
    counts = _counts(db)
    for template, shown, hidden in CHECKS[who]:
        for payload in SQLI:
            url = template.format(p=quote(payload), event=world["scheme"].event.public_id)
            response = client.get(url)
            page = response.get_data(as_text=True)
            assert response.status_code == 200, (url, response.status_code)
            assert [s for s in shown if s.format(**names) not in page] == [], url
            assert [h for h in hidden if h.format(**names) in page] == [], url
            assert not any(h in page for h in HASH_PREFIXES), url
    _assert_tables_intact(db, counts)


@pytest.mark.parametrize(
    "template",
    [
        "/admin/users?q=x&format={p}",
        "/registration/?q=x&format={p}",
        "/admin/audit?q=x&format={p}",
        "/question-bank/?q={p}&format=",
    ],
)
def test_a_hostile_export_format_is_not_a_server_error(app, client, login_as, template):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as("admin")
    response = client.get(template.format(p=quote(SQLI[0])))
    assert response.status_code in (200, 400, 404)


def test_practice_with_a_hostile_level_is_not_a_server_error(
    app, client, login_as, create_question
):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    create_question("single")
    login_as("candidate")
    response = client.get(f"/exam/practice?level={quote(SQLI[0])}")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "url", ["/admin/users", "/registration/", "/question-bank/", "/admin/audit"]
)
def test_a_huge_page_number_is_not_a_server_error(app, client, login_as, url):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as("admin")
    response = client.get(f"{url}?page=99999999999999999999")
    assert response.status_code in (200, 400, 404)


def test_certificate_lookup_and_login_treat_sql_as_text(client, db, world):
    counts = _counts(db)
    for payload in SQLI:
        found = client.submit("/verify", {"number": payload, "name": payload})
        assert found.status_code == 404
        assert 'data-status="not_found"' in found.get_data(as_text=True)
        by_token = client.get(f"/verify/{quote(payload, safe='')}")
        assert by_token.status_code == 404
        refused = client.submit("/login", {"username": payload, "password": payload})
        assert refused.status_code == 401
        admin_comment = client.submit(
            "/login", {"username": world["admin"].username + "' --", "password": payload}
        )
        assert admin_comment.status_code == 401
        assert client.get("/").status_code == 302  # still signed out
    _assert_tables_intact(db, counts)


def test_search_params_in_exports_leak_no_rows(client, db, world):
    """The Excel exports apply the same filters: a hostile search exports the header alone."""
    sign_in(client, world["users"]["admin"])
    for url in ("/admin/users", "/registration/", "/admin/audit"):
        for payload in SQLI:
            data = client.get(f"{url}?{urlencode({'q': payload, 'format': 'xlsx'})}").data
            rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
            assert len(rows) == 1, (url, payload, rows[1:3])
