"""The per-task score sheet as an A4 PDF, with signature lines for each stage."""

from __future__ import annotations

import io

from flask_babel import format_datetime
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy.orm import Session

from core import clock
from core.pdf import cjk_font
from scoring import services
from scoring.models import Task


def score_sheet(session: Session, task: Task) -> bytes:
    """Stations in order with every aspect's mark and the task score. Until the chief referee signs
    the task off, candidates appear only by station number (services.blind), whoever prints it."""
    font = cjk_font()
    width, height = landscape(A4)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=landscape(A4))
    c.setTitle(f"任务 {task.number} 评分表")
    c.setFont(font, 15)
    title = f"{task.scheme.event.name} · 任务 {task.number} {task.name} 评分表"
    c.drawCentredString(width / 2, height - 18 * mm, title)
    c.setFont(font, 9)
    state = "已锁定" if task.locked_at else "未锁定"
    c.drawString(15 * mm, height - 26 * mm, f"满分 {task.max_points} · {state} · 打印于 "
                                           f"{format_datetime(clock.now(), 'yyyy-MM-dd HH:mm')}")
    columns = ["工位号", "考生"] + [a.code for a in task.aspects] + ["任务得分"]
    x0, col = 15 * mm, (width - 30 * mm) / len(columns)
    y = height - 36 * mm
    c.setFont(font, 9)
    for i, name in enumerate(columns):
        c.drawString(x0 + i * col + 1.5 * mm, y, name)
    c.line(x0, y - 2 * mm, width - 15 * mm, y - 2 * mm)
    y -= 7 * mm
    stations = sorted(services.stations(session, task), key=lambda s: s.number)
    for station in stations:
        registration = station.registration
        marks = services.marks_of(session, task, registration)
        violations = services.violations_of(session, task, registration)
        cells = [str(station.number), "—" if services.blind(task) else registration.candidate_number]
        for aspect in task.aspects:
            value = services.aspect_mark(aspect, marks, violations)
            cells.append("" if value is None else str(value))
        cells.append(str(services.task_score(session, task, registration)))
        for i, text in enumerate(cells):
            c.drawString(x0 + i * col + 1.5 * mm, y, text)
        y -= 6 * mm
        if y < 40 * mm:
            c.showPage()
            c.setFont(font, 9)
            y = height - 20 * mm
    y = max(y - 10 * mm, 20 * mm)
    for n, label in enumerate(("裁判签字", "裁判长签字", "监督签字")):
        x = x0 + n * (width - 30 * mm) / 3
        c.drawString(x, y, f"{label}：")
        c.line(x + 20 * mm, y - 1 * mm, x + 75 * mm, y - 1 * mm)
        c.drawString(x, y - 8 * mm, "日期：")
        c.line(x + 20 * mm, y - 9 * mm, x + 75 * mm, y - 9 * mm)
    c.showPage()
    c.save()
    return buf.getvalue()
