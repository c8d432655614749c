"""Excel files the platform writes: staff lists (one sheet, a bold header row, sensible column
widths) and, through `append_row`, every other sheet (templates, the question bank, schemes).

What users typed is written as text, never as a formula: openpyxl turns any str that starts with
"=" into a formula (and "#N/A" and the like into an error value), so that a name such as
"=HYPERLINK(...)" would run in whoever opens the export. Every row goes through `append_row`,
which keeps each str as a string cell with its value unchanged, so exports still import back."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING, Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones; callers convert first
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def append_row(ws: Worksheet, values: Iterable) -> None:
    """Append one row to `ws`, every str as a text cell (never a formula or an error value)."""
    ws.append([text_cell(ws, v) if isinstance(v, str) else v for v in values])


def text_cell(ws: Worksheet, value: str) -> Cell:
    """A cell that holds `value` as text, whatever it starts with."""
    cell = Cell(ws, value=value)
    cell.data_type = TYPE_STRING
    return cell


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    append_row(ws, [str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) for h in headers]
    for row in rows:
        values = [_cell(v) for v in row]
        append_row(ws, values)
        for i, v in enumerate(values):
            widths[i] = max(widths[i], min(len(str(v or "")), 60))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width + 4
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_response(filename: str, title: str, headers, rows) -> Response:
    data = workbook_bytes(title, headers, rows)
    return Response(
        data,
        mimetype=XLSX_MIME,
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
