"""A marking scheme as an Excel sheet: one row per aspect (the task's columns repeated)."""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from itertools import islice

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from accounts.models import User
from core import archives, audit
from core.errors import DomainError
from core.excel import append_row
from scoring import rules
from scoring.models import Aspect, AspectKind, Scheme, Task
from scoring.services import SCHEME_MESSAGES

HEADER = ["任务 Task", "任务名称 Task name", "任务分值 Task points", "评分项 Code", "评分项名称 Aspect",
          "类型 Kind", "分值 Maximum", "步长 Step", "裁判数 Referees"]
KINDS = {"measurement": AspectKind.MEASUREMENT, "测量": AspectKind.MEASUREMENT,
         "judgement": AspectKind.JUDGEMENT, "评价": AspectKind.JUDGEMENT,
         "deduction": AspectKind.DEDUCTION, "扣分": AspectKind.DEDUCTION}
MAX_ROWS = 500  # 20 tasks of a few dozen aspects at most


def export(scheme: Scheme) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "scheme"
    append_row(ws, HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for task in scheme.tasks:
        for a in task.aspects:
            append_row(ws, [task.number, task.name, float(task.max_points), a.code, a.title, a.kind.value,
                       float(a.max_points), float(a.step) if a.step is not None else None,
                       a.judges if a.kind is AspectKind.JUDGEMENT else None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _decimal(value, row: int, column: str, *, optional=False) -> Decimal | None:
    if value in (None, "") and optional:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise DomainError(_l("Row %(row)d, %(column)s: not a number.", row=row, column=column)) from exc


def import_scheme(session: Session, *, scheme: Scheme, data: bytes, actor: User) -> int:
    """Replace an unlocked scheme's tasks and aspects with the sheet's; refused whole if any row is
    wrong or the sums do not add up."""
    if scheme.locked_at is not None:
        raise DomainError(_l("The scheme is locked; make a new version to change it."))
    try:
        wb = archives.open_xlsx(data)
    except archives.NOT_XLSX as exc:
        raise DomainError(_l("This is not an Excel .xlsx file.")) from exc
    try:
        rows = list(islice(archives.first_sheet_rows(wb, max_col=len(HEADER)), MAX_ROWS + 2))
    except archives.DamagedWorkbook as exc:
        raise DomainError(_l("This is not an Excel .xlsx file.")) from exc
    finally:
        wb.close()
    if len(rows) > MAX_ROWS + 1:
        raise DomainError(_l("The file has more than %(n)d rows; split it.", n=MAX_ROWS))
    if not rows or [str(h or "").strip() for h in rows[0][: len(HEADER)]] != HEADER:
        raise DomainError(_l("The header row differs from the exported sheet's."))
    tasks: dict[int, Task] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        number, name, task_points, code, title, kind, maximum, step, judges = (list(row) + [None] * 9)[:9]
        if not isinstance(number, int | float) or int(number) != number or not 1 <= int(number) <= 20:
            raise DomainError(_l("Row %(row)d: the task number must be a whole number.", row=n))
        if str(kind or "").strip().lower() not in KINDS:
            raise DomainError(_l("Row %(row)d: the kind is measurement, judgement or deduction.", row=n))
        task = tasks.get(int(number))
        if task is None:
            task = tasks[int(number)] = Task(number=int(number), name=str(name or "").strip()[:80],
                                             max_points=_decimal(task_points, n, "Task points"), description="")
        task.aspects.append(Aspect(position=len(task.aspects) + 1, code=str(code or "").strip()[:10],
                                   title=str(title or "").strip()[:200], kind=KINDS[str(kind).strip().lower()],
                                   max_points=_decimal(maximum, n, "Maximum"),
                                   step=_decimal(step, n, "Step", optional=True),
                                   judges=int(judges) if judges else 3))
    specs = [rules.TaskSpec(t.number, t.max_points, tuple(
        rules.AspectSpec(a.code, a.kind.value, a.max_points, a.step, a.judges) for a in t.aspects))
        for t in tasks.values()]
    problems = rules.scheme_problems(specs, scheme.total)
    if problems:
        raise DomainError(" ".join(str(SCHEME_MESSAGES[c]) % p for c, p in problems))
    for old in list(scheme.tasks):
        scheme.tasks.remove(old)
    session.flush()
    for task in sorted(tasks.values(), key=lambda t: t.number):
        scheme.tasks.append(task)
    session.flush()
    audit.record(session, "scheme.import", target=scheme, actor=actor, after={"tasks": len(tasks)})
    return sum(len(t.aspects) for t in tasks.values())
