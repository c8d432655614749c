"""Batch registration by a training centre: an Excel sheet (one candidate per row) and a zip of
photos named by ID number. The upload is read once, on arrival, and checked row by row (nothing
imported); its plan waits as JSON beside the photos until the user confirms, and then the valid rows
are imported as drafts in one transaction. Both files are bounded before they are inflated
(core.archives), and the photos before they are decoded (core.uploads)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from core import archives, audit, uploads
from core.errors import DomainError
from core.excel import append_row
from registration import services
from registration.models import Event, Registration

COLUMNS = [  # (key, header)
    ("full_name", "姓名"), ("gender", "性别"), ("birth_date", "出生日期"), ("education", "文化程度"),
    ("title", "职称/职务"), ("employer", "单位名称"), ("phone", "电话"), ("address", "联系地址"), ("email", "邮箱"),
    ("id_number", "身份证号码"), ("resume", "个人简历"), ("training_history", "培训情况"), ("group", "组别"),
]
GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female"}
EDUCATIONS = {"初中": "junior_high", "高中": "high_school", "中专": "high_school", "技校": "high_school",
              "高职": "vocational", "大专": "vocational", "本科": "bachelor", "硕士": "master", "博士": "master"}
GROUPS = {"学生组": "student", "教师组": "staff", "职工组": "staff", "国际组": "international"}
PHOTO_NAME = re.compile(r"(?:^|/)(\d{17}[\dXx])\.(jpe?g|png)$", re.IGNORECASE)
MAX_ROWS = 2000
# The template's example row (黄小明, male, born 2001-03-14): a number whose check character is right,
# so that the example passes the check as downloaded (tests/registration/test_batch_and_documents.py).
EXAMPLE_ID = "440305200103141217"
PHOTO_MEMBER_MAX = 5 * 1024 * 1024  # a larger file in the zip is not read (the row then has no photo)


@dataclass
class Row:
    number: int
    data: dict
    problems: dict[str, str] = field(default_factory=dict)
    has_photo: bool = False
    raw: dict[str, str] = field(default_factory=dict)  # the cells as the file had them, for the errors file

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Plan:
    rows: list[Row]
    errors: list[str]
    photos: dict[str, bytes]
    held: list[Registration] = field(default_factory=list)  # forms the user may not see that hold a row's number

    @property
    def valid(self) -> list[Row]:
        return [r for r in self.rows if r.ok]

    def dumps(self) -> str:
        """The checked rows and the file's errors as JSON (the photos stay in their zip)."""
        rows = [{"number": r.number, "problems": r.problems, "has_photo": r.has_photo, "raw": r.raw,
                 "data": {**r.data, "birth_date": r.data["birth_date"].isoformat() if r.data.get("birth_date")
                          else None}} for r in self.rows]
        return json.dumps({"rows": rows, "errors": self.errors}, ensure_ascii=False)

    @classmethod
    def load(cls, path: Path, *, photos: Path | None = None) -> Plan:
        """A plan kept by `dumps`; with `photos`, the photos of its rows read again from their zip."""
        document = json.loads(path.read_text(encoding="utf-8"))
        rows = []
        for r in document["rows"]:
            born = r["data"]["birth_date"]
            rows.append(Row(r["number"], {**r["data"], "birth_date": date.fromisoformat(born) if born else None},
                            r["problems"], r["has_photo"], r.get("raw", {})))
        found = read_photos(photos.read_bytes())[0] if photos is not None and photos.exists() else {}
        return cls(rows, document["errors"], found)


def template_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "报名 registrations"
    append_row(ws, [header for _k, header in COLUMNS])
    append_row(ws, ["黄小明", "男", "2001-03-14", "高职", "学生", "广州职业技术学院", "13800138000", "广州市番禺区",
               "xiaoming@example.com", EXAMPLE_ID, "2019-2022 就读于高职院校", "2025 年参加中级培训", ""])
    for i, _c in enumerate(COLUMNS, start=1):
        ws.cell(row=1, column=i).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(i)].width = 16
    help_sheet = wb.create_sheet("说明 help")
    for line in ("每行一名考生；第一行为表头，请勿修改。删除示例行后填写。",
                 "性别：男/女；出生日期：YYYY-MM-DD；文化程度：初中/高中/中专/高职/大专/本科/硕士。",
                 "身份证号码须为 18 位，出生日期和性别须与号码一致。组别仅竞赛填写：学生组/教师组/国际组。",
                 "照片：另行上传一个 zip 压缩包，每张照片以身份证号码命名，如 " + EXAMPLE_ID + ".jpg（JPEG 或 PNG）。"):
        append_row(help_sheet, [line])
    help_sheet.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value) -> str | date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def read_photos(data: bytes | None) -> tuple[dict[str, bytes], list[str]]:
    """The photos of a zip, by ID number, and the zip's problems (a message each)."""
    if not data:
        return {}, []
    try:
        archive = archives.check_zip(data, archives.PHOTOS)
    except zipfile.BadZipFile:
        return {}, [str(_l("The photos file is not a zip archive."))]
    except archives.ArchiveRefused as exc:
        return {}, [str(exc.message)]
    photos = {}
    with archive:
        for info in archive.infolist():
            match = PHOTO_NAME.search(info.filename)
            if match and info.file_size <= PHOTO_MEMBER_MAX:
                try:
                    photos[match.group(1).upper()] = archives.read_member(archive, info, limit=PHOTO_MEMBER_MAX)
                except archives.ArchiveRefused as exc:
                    return {}, [str(exc.message)]
    return photos, []


def read_sheet(session: Session, data: bytes, *, event: Event, photos: dict[str, bytes], today: date,
               user: User | None = None) -> Plan:
    """Every row of the sheet checked as the form would check it, for `user`'s centre (nothing written)."""
    plan = Plan([], [], photos)
    not_xlsx = str(_l("This is not an Excel .xlsx file. Download the template and fill it in."))
    try:
        wb = archives.open_xlsx(data)
    except archives.ArchiveRefused as exc:
        plan.errors.append(str(exc.message))
        return plan
    except archives.NOT_XLSX:
        plan.errors.append(not_xlsx)
        return plan
    try:
        rows = archives.first_sheet_rows(wb, max_col=len(COLUMNS))
        header = [str(h or "").strip() for h in next(rows, ())]
        expected = [h for _k, h in COLUMNS]
        if header[: len(expected)] != expected:
            plan.errors.append(str(_l("The header row differs from the template's: %(expected)s.",
                                      expected=" | ".join(expected))))
            return plan
        filled = []
        for number, values in enumerate(rows, start=2):
            if number - 1 > MAX_ROWS:
                plan.errors.append(str(_l("The file has more than %(n)d rows; split it.", n=MAX_ROWS)))
                break
            cells = {key: _cell(v) for (key, _h), v in zip(COLUMNS, values, strict=False)}
            if any(cells.values()):
                filled.append((number, cells))
    except archives.DamagedWorkbook:
        plan.errors.append(not_xlsx)
        return plan
    finally:
        wb.close()
    numbers = {(cells.get("id_number") or "").upper() for _n, cells in filled} - {""}
    holders = {r.id_number: r for r in session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.id_number.in_(numbers)))} if numbers else {}
    seen: set[str] = set()
    for number, cells in filled:
        plan.rows.append(_row(number, cells, event=event, today=today, holders=holders, seen=seen, photos=photos,
                              user=user, held=plan.held))
    if not plan.rows and not plan.errors:
        plan.errors.append(str(_l("The file has a header but no candidates.")))
    return plan


def check_upload(session: Session, *, event: Event, sheet: bytes, photos: bytes | None, user: User,
                 today: date) -> Plan:
    """Read a batch upload once: the plan of its rows; ID numbers held by forms the user may not see
    are reported to the administrators (in the caller's transaction)."""
    found, photo_errors = read_photos(photos)
    plan = read_sheet(session, sheet, event=event, photos=found, today=today, user=user)
    plan.errors.extend(photo_errors)
    services.report_numbers_held(session, event=event, holders=plan.held, user=user, centre=user.centre)
    return plan


def _row(number, cells, *, event, today, holders, seen, photos, user, held) -> Row:
    birth = cells.get("birth_date")
    problems: dict[str, str] = {}
    if isinstance(birth, str):
        try:
            birth = date.fromisoformat(birth.replace("/", "-"))
        except ValueError:
            problems["birth_date"] = str(_l("Write the date as YYYY-MM-DD."))
            birth = None
    data = {key: (value if isinstance(value, str) else value) for key, value in cells.items()}
    data["birth_date"] = birth
    data["gender"] = GENDERS.get(cells.get("gender") or "", cells.get("gender"))
    data["education"] = EDUCATIONS.get(cells.get("education") or "", cells.get("education"))
    data["group"] = GROUPS.get(cells.get("group") or "", cells.get("group"))
    data["id_number"] = (cells.get("id_number") or "").upper()
    for key in ("title", "employer", "address", "resume", "training_history"):
        data[key] = data.get(key) or ""
    if data["gender"] not in ("male", "female"):
        problems["gender"] = str(_l("Write 男 or 女."))
    if data["education"] not in EDUCATIONS.values():
        problems["education"] = str(_l("Write one of: %(values)s.", values="/".join(EDUCATIONS)))
    problems.update({k: v for k, v in services.form_problems(
        {**data, "gender": data["gender"] if "gender" not in problems else None},
        event=event, today=today).items() if k not in problems})
    number_ = data["id_number"]
    holder = holders.get(number_)
    if holder is not None:
        if user is not None and services.may_view(holder, user):
            problems["id_number"] = str(services.NUMBER_YOURS)
        else:
            problems["id_number"] = str(services.NUMBER_HELD)
            held.append(holder)
    elif number_ and number_ in seen:
        problems["id_number"] = str(_l("This ID number is already on an earlier row of the file."))
    seen.add(number_)
    if number_ in photos:
        problem = uploads.image_problem(photos[number_])
        if problem:
            problems["photo"] = problem
    raw = {key: value.isoformat() if isinstance(value, date) else value for key, value in cells.items()
           if value is not None}
    return Row(number, data, problems, has_photo=number_ in photos, raw=raw)


def apply(session: Session, plan: Plan, *, event: Event, user: User, now: datetime) -> int:
    """Import every valid row as a draft for the user's centre, in the caller's transaction."""
    if plan.errors or not plan.valid:
        raise DomainError(_l("There is nothing valid to import."))
    created = 0
    for row in plan.valid:
        services.save_registration(session, registration=None, event=event, centre=user.centre, data=row.data,
                                   photo=plan.photos.get(row.data["id_number"]), user=user, now=now)
        created += 1
    audit.record(session, "registration.batch_import", target=event, actor=user,
                 after={"created": created, "skipped": len(plan.rows) - created})
    return created


ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")


def errors_workbook(plan: Plan, *, labels: dict) -> bytes:
    """The checked file given back: the template's columns as uploaded, then each row's problems (in
    the user's language) and its row number in the upload; rows with problems first, in red. Every
    cell is text, never a formula. It uploads again as it is: the extra columns are not read."""
    wb = Workbook()
    ws = wb.active
    ws.title = "报名 registrations"
    append_row(ws, [header for _k, header in COLUMNS] + [str(_l("Problems")), str(_l("Row in your file"))])
    for i in range(1, len(COLUMNS) + 3):
        ws.cell(row=1, column=i).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(i)].width = 16
    ws.column_dimensions[get_column_letter(len(COLUMNS) + 1)].width = 60
    for row in sorted(plan.rows, key=lambda r: (r.ok, r.number)):
        problems = "; ".join(f"{labels.get(f, f)}: {m}" for f, m in row.problems.items())
        append_row(ws, [str(row.raw.get(key) or "") for key, _h in COLUMNS] + [problems, str(row.number)])
        if not row.ok:
            for cell in ws[ws.max_row]:
                cell.fill = ERROR_FILL
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
