"""Batch registration (issue 15): the template's example passes as downloaded; the check gives the
file back with each row's problems, rows with problems first and in red, every cell text; the
preview page links it and keeps the upload form."""

import io
import re
from datetime import date

from openpyxl import Workbook, load_workbook

from core import clock
from core.excel import append_row
from registration import batch
from tests.registration.test_batch_and_documents import person


def sheet(rows) -> bytes:
    """An upload whose cells are text as a user types them (a leading "=" stays text)."""
    wb = Workbook()
    append_row(wb.active, [h for _k, h in batch.COLUMNS])
    for row in rows:
        append_row(wb.active, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_template_as_downloaded_passes_the_check(db, event, frozen_clock):
    plan = batch.read_sheet(db.session, batch.template_bytes(), event=event, photos={}, today=clock.now().date())
    assert plan.errors == []
    assert [(r.number, r.problems) for r in plan.rows] == [(2, {})]
    assert plan.rows[0].data["id_number"] == batch.EXAMPLE_ID


def _upload(client, event, rows):
    response = client.post(f"/registration/events/{event.public_id}/batch?lang=en", data={
        "csrf_token": client.csrf_token(), "sheet": (io.BytesIO(sheet(rows)), "list.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_the_checked_file_lists_each_rows_problems_first_and_uploads_again(client, db, event, staff, frozen_clock):
    client.post("/login", data={"csrf_token": client.csrf_token(), "username": staff.username,
                                "password": "Correct-horse-42"})
    rows = [person("甲", date(2000, 1, 2), True, "11"),
            person("=HYPERLINK(\"http://x\",\"乙\")", date(2001, 5, 6), False, "12", phone="123"),
            person("丙", date(2001, 5, 6), False, "13")]
    preview = _upload(client, event, rows)
    page = client.get(preview + "?lang=en").get_data(as_text=True)
    link = re.search(r'data-testid="checked-file" href="([^"]+)"', page).group(1)
    assert 'data-testid="upload-again"' in page and f"/registration/events/{event.public_id}/batch\"" in page
    response = client.get(link + "?lang=en")
    assert response.status_code == 200 and response.mimetype.endswith("sheet")
    ws = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in ws[1]]
    assert header[: len(batch.COLUMNS)] == [h for _k, h in batch.COLUMNS]
    assert header[len(batch.COLUMNS):] == ["Problems", "Row in your file"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[-1] for r in body] == ["3", "2", "4"]  # the row with a problem first
    assert body[0][0] == "=HYPERLINK(\"http://x\",\"乙\")" and ws["A2"].data_type == "s"  # text, not a formula
    assert "Phone: " in body[0][len(batch.COLUMNS)] and body[1][len(batch.COLUMNS)] in ("", None)
    assert ws["A2"].fill.fgColor.rgb.endswith("FFC7CE") and not ws["A3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert body[0][2] == "2001-05-06" and body[0][9] == rows[1][9]  # the cells as uploaded
    # the file fixed in place uploads again, its extra columns ignored
    ws["G2"] = "13800138001"
    buf = io.BytesIO()
    ws.parent.save(buf)
    plan = batch.read_sheet(db.session, buf.getvalue(), event=event, photos={}, today=clock.now().date())
    assert plan.errors == [] and len(plan.valid) == 3


def test_someone_elses_checked_file_is_not_found(client, db, event, staff, login_as, frozen_clock):
    client.post("/login", data={"csrf_token": client.csrf_token(), "username": staff.username,
                                "password": "Correct-horse-42"})
    preview = _upload(client, event, [person("甲", date(2000, 1, 2), True, "11")])
    client.submit("/logout")
    login_as("centre_staff")
    assert client.get(preview + "/checked.xlsx").status_code == 404
