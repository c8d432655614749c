"""The employer's Excel sheet: read (bounded before it is decoded, the header found in either
language, or the first two columns) and written back with each row's answer (every text a text
cell, never a formula). No database here: services.check_sheet reads the certificates."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_number, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from core import archives
from core.errors import DomainError
from core.excel import append_row

MAX_COLUMNS = 30  # columns of the employer's own kept in the answer (their staff number, department ...)
NAME_MAX = 40  # as the certificate's holder_name
NUMBER_MAX = 40  # as the certificate's number
# Header words, compared without spaces, punctuation and case: 证书编号 / Certificate number, 姓名 / Name.
NUMBER_HEADERS = {"证书编号", "证书号", "证书号码", "证书编码", "编号", "certificatenumber", "certificateno",
                  "certno", "certificate", "number", "no"}
NAME_HEADERS = {"姓名", "持证人", "持证人姓名", "名字", "name", "holder", "holdername", "fullname"}
_NOISE = re.compile(r"[\s*＊:：()（）\[\]【】_\-/.·、,，#№]+")


@dataclass(frozen=True)
class Row:
    line: int  # the row's number in the sheet, as Excel shows it
    cells: tuple  # the row's own cells (at most MAX_COLUMNS), written back as they came
    number: str
    name: str


@dataclass(frozen=True)
class Sheet:
    header: tuple | None  # the header row's cells, or None when the first row was already a certificate
    header_line: int  # the header's row number (0 without a header)
    number_col: int
    name_col: int
    lines: tuple  # every row up to the last filled one: a Row, or None for a blank row (kept in place)

    @property
    def rows(self) -> list[Row]:
        return [r for r in self.lines if r is not None]


def _key(value) -> str:
    return _NOISE.sub("", str(value or "")).casefold()


def _is(value, words: set[str]) -> bool:
    """Whether a header cell names one of `words`, in one language or both (证书编号 Certificate No.)."""
    key = _key(value)
    if key in words:
        return True
    chinese, latin = re.sub(r"[a-z0-9]", "", key), re.sub(r"[^a-z0-9]", "", key)
    return bool(chinese and latin) and chinese in words and latin in words


def _text(value) -> str:
    """A cell as the text a person typed (a number without '.0', a date as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _kept(value):
    """A cell to write back: numbers and texts as they were (less the control characters no
    workbook may hold), dates without a time zone."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if value is None or isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return str(value)


def _trimmed(values: Sequence) -> tuple:
    values = list(values)
    while values and _text(values[-1]) == "":
        values.pop()
    return tuple(values)


def _at(values: Sequence, index: int):
    return values[index] if index < len(values) else None


def _blank(values: Sequence) -> bool:
    return all(_text(v) == "" for v in values)


NOT_XLSX = _l("This is not an Excel .xlsx file (a CSV, PDF or renamed file is not read). Save the sheet as an "
              "Excel workbook (.xlsx), or download the template.")
MISSING_COLUMNS = _l("The sheet's columns were not found: its first row should be the header 证书编号 | 姓名 "
                     "(or Certificate number | Name), or column A should hold a certificate number and column B "
                     "the holder's name. Download the template.")


def too_many_rows(limit: int) -> str:
    return _("The sheet has more than %(n)s rows to check: at most %(n)s at once. Split it into several sheets.",
             n=format_number(limit))


def read(data: bytes, *, max_bytes: int, max_rows: int) -> Sheet:
    """The sheet's rows to check. Refused with a DomainError (a message for the employer) when the
    file is too large, not an .xlsx, over the zip limits (core.archives: members, inflated size,
    ratio, a DTD), empty, without the two columns, or with more than `max_rows` rows to check."""
    if not data:
        raise DomainError(_l("Choose the Excel file to check."), field="sheet")
    if len(data) > max_bytes:
        raise DomainError(_l("The file is larger than %(mb)s MB: split the sheet.",
                             mb=format_number(round(max_bytes / 1024 / 1024, 1))), field="sheet")
    try:
        workbook = archives.open_xlsx(data)
    except archives.ArchiveRefused as exc:
        raise DomainError(exc.message, field="sheet") from exc
    except archives.NOT_XLSX as exc:
        raise DomainError(NOT_XLSX, field="sheet") from exc
    try:
        return _read_rows(archives.first_sheet_rows(workbook, max_col=MAX_COLUMNS), max_rows=max_rows)
    except archives.DamagedWorkbook as exc:
        raise DomainError(NOT_XLSX, field="sheet") from exc
    finally:
        workbook.close()


def _read_rows(rows, *, max_rows: int) -> Sheet:
    # Blank rows cost nothing but reading; a sheet of nothing but (styled) blank rows is still
    # bounded, as one of data is.
    physical_limit = max(20 * max_rows, 1000)
    header, header_line, number_col, name_col = None, 0, 0, 1
    lines: list[Row | None] = []
    pending_blanks = 0
    started = False
    filled = 0
    for line, values in enumerate(rows, start=1):
        if line > physical_limit:
            raise DomainError(too_many_rows(max_rows), field="sheet")
        values = _trimmed(values)  # read-only openpyxl pads every row to max_col
        if _blank(values):
            if started:
                pending_blanks += 1
            continue
        if not started:
            started = True
            # "证书编号" before a bare "编号" (which may be the employer's own staff number).
            numbers = sorted((i for i, v in enumerate(values) if _is(v, NUMBER_HEADERS)),
                             key=lambda i: not re.search("证书|cert", _key(values[i])))
            names = [i for i, v in enumerate(values) if _is(v, NAME_HEADERS)]
            if numbers or names:
                if not numbers:
                    raise DomainError(_l("The sheet has a name column but no certificate number column "
                                         "(证书编号 / Certificate number)."), field="sheet")
                if not names:
                    raise DomainError(_l("The sheet has a certificate number column but no name column "
                                         "(姓名 / Name)."), field="sheet")
                header, header_line, number_col, name_col = values, line, numbers[0], names[0]
                continue
            if not re.search(r"\d", _text(values[0])):
                raise DomainError(MISSING_COLUMNS, field="sheet")
        filled += 1
        if filled > max_rows:
            raise DomainError(too_many_rows(max_rows), field="sheet")
        lines.extend([None] * pending_blanks)
        pending_blanks = 0
        lines.append(Row(line, values, _text(_at(values, number_col)), _text(_at(values, name_col))))
    if not started:
        raise DomainError(_l("The sheet is empty: put the certificate numbers in column A and the holders' names "
                             "in column B, or fill in the template."), field="sheet")
    if not filled:
        raise DomainError(_l("The sheet has a header but no certificates to check."), field="sheet")
    if header is None and all(r.name == "" for r in lines if r is not None):
        raise DomainError(MISSING_COLUMNS, field="sheet")
    return Sheet(header, header_line, number_col, name_col, tuple(lines))


# --- writing -------------------------------------------------------------------------------------

FILLS = {"valid": "D1E7DD", "revoked": "F8D7DA", "expired": "FFF3CD", "superseded": "E2E3E5",
         "not_found": "E2E3E5", "not_checked": "FFFFFF"}


@dataclass(frozen=True)
class Answer:
    """One row's answer, as the employer reads it: every field text in their language."""

    status: str  # the code (valid, revoked, expired, superseded, not_found, not_checked)
    status_label: str
    level: str = ""
    issued_on: str = ""
    valid_until: str = ""
    verify_url: str = ""
    remark: str = ""


def added_headers() -> list[str]:
    return [_("Status"), _("Level or award"), _("Issued on"), _("Valid until"), _("Verify URL"), _("Remark")]


def write(sheet: Sheet, answers: dict[int, Answer]) -> bytes:
    """The sheet as it came (its rows in place, blank rows kept, its own columns as they were), with
    the answer's columns after them; without a header row, one is added on top."""
    width = max([len(sheet.header or ())] + [len(r.cells) for r in sheet.rows])
    width = max(width, sheet.number_col + 1, sheet.name_col + 1)
    workbook = Workbook()
    ws = workbook.active
    ws.title = _("Checked")[:31]
    if sheet.header is not None:
        header = [_kept(v) for v in sheet.header] + [None] * (width - len(sheet.header))
    else:
        header = [None] * width
        header[sheet.number_col], header[sheet.name_col] = _("Certificate number"), pgettext("sheet", "Name")
    append_row(ws, [*header, *added_headers()])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    status_col = width + 1
    for at, row in enumerate(sheet.lines, start=2):  # (ws.max_row scans every cell: quadratic)
        if row is None:
            ws.append([])
            continue
        answer = answers[row.line]
        own = [_kept(v) for v in row.cells] + [None] * (width - len(row.cells))
        append_row(ws, [*own, *(_kept(v) for v in (answer.status_label, answer.level, answer.issued_on,
                                                     answer.valid_until, answer.verify_url, answer.remark))])
        ws.cell(row=at, column=status_col).fill = PatternFill("solid", fgColor=FILLS[answer.status])
    for i in range(1, width + 7):
        ws.column_dimensions[get_column_letter(i)].width = 16
    ws.column_dimensions[get_column_letter(width + 5)].width = 48  # the verify URL
    ws.column_dimensions[get_column_letter(width + 6)].width = 40  # the remark
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template() -> bytes:
    """The empty sheet to fill in: the header in the reader's language, and a help sheet."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = _("Certificates")[:31]
    append_row(ws, [_("Certificate number"), pgettext("sheet", "Name")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 16
    ws.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(_("Help")[:31])
    for line in (_("One certificate a row: its number in column A, the holder's name in column B, as printed on "
                   "the certificate."),
                 _("The header may be in Chinese (证书编号, 姓名) or English (Certificate number, Name), or left out. "
                   "Further columns of your own are kept and returned as they are."),
                 _("The answer is this sheet with each row's status, level, dates, verify link and a remark added.")):
        append_row(help_sheet, [line])
    help_sheet.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
