"""The hall report (考场记录) as an A4 PDF: who sat where, when each started and handed in, the
hall's pauses and incidents, and lines for the invigilators' signatures."""

from __future__ import annotations

import io
from datetime import datetime

from flask_babel import format_datetime
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from core.audit import AuditLog
from core.pdf import cjk_font, wrap
from exam.halls import Seat, SeatState
from exam.models import ExamHall

W, H = A4
MARGIN = 15 * mm

HANDED_IN = {"candidate": "本人交卷", "timer": "到时自动", "scheduler": "到时自动", "proctor": "监考收卷",
             "focus": "离开页面超限"}
STATES = {SeatState.ABSENT: "缺考", SeatState.WAITING: "候考", SeatState.ANSWERING: "作答中",
          SeatState.OFFLINE: "离线", SeatState.PAUSED: "暂停", SeatState.SUBMITTED: "已交卷"}
LOG_KINDS = {"exam.hall_pause": "暂停", "exam.hall_resume": "继续", "exam.hall_incident": "事件"}


def _time(value: datetime | None, pattern: str = "HH:mm:ss") -> str:
    return format_datetime(value, pattern) if value else ""


def _span(seconds: int) -> str:
    return f"{seconds // 60} 分 {seconds % 60} 秒"


def hall_report(hall: ExamHall, *, seats: list[Seat], log: list[AuditLog], now: datetime) -> bytes:
    font = cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    exam = hall.exam
    c.setTitle(f"考场记录 {hall.name}")
    c.setFont(font, 16)
    c.drawCentredString(W / 2, H - 20 * mm, "考 场 记 录")
    c.setFont(font, 10)
    c.drawCentredString(W / 2, H - 27 * mm, exam.title)
    starts = hall.starts_at or exam.opens_at
    paused = f" · 暂停合计 {_span(hall.paused_seconds)}" if hall.paused_seconds else ""
    present = [s for s in seats if s.state != SeatState.ABSENT]
    head = [
        f"考场：{hall.name}" + (f" · {hall.room}" if hall.room else ""),
        f"开考：{_time(starts, 'yyyy-MM-dd HH:mm')}（{'统一开考' if hall.starts_at else '考生自行开始'}）"
        f" · 时长 {exam.duration_minutes} 分钟{paused}",
        f"监考员：{'、'.join(u.full_name for u in hall.invigilators) or '—'}",
        f"应考 {len(seats)} 人 · 实考 {len(present)} 人 · 缺考 {len(seats) - len(present)} 人 · "
        f"已交卷 {sum(1 for s in seats if s.state == SeatState.SUBMITTED)} 人",
    ]
    y = H - 38 * mm
    for line in head:
        c.drawString(MARGIN, y, line)
        y -= 5.5 * mm
    columns = [("座位", 12), ("准考证号", 30), ("姓名", 28), ("状态", 16), ("开始", 18), ("交卷", 18),
               ("交卷方式", 24), ("答题", 12), ("离开页面", 14)]
    y -= 3 * mm

    def header(y: float) -> float:
        c.setFont(font, 9)
        x = MARGIN
        for name, width in columns:
            c.drawString(x + 1 * mm, y, name)
            x += width * mm
        c.line(MARGIN, y - 2 * mm, W - MARGIN, y - 2 * mm)
        return y - 6.5 * mm

    y = header(y)
    for seat in seats:
        cells = [str(seat.seat or "—"), seat.candidate_number, seat.name, STATES.get(seat.state, ""),
                 _time(seat.started_at, "HH:mm"), _time(seat.submitted_at, "HH:mm:ss"),
                 HANDED_IN.get(seat.submitted_by, ""), str(seat.answered) if seat.attempt else "",
                 str(seat.focus_losses) if seat.attempt else ""]
        x = MARGIN
        for (_name, width), text in zip(columns, cells, strict=True):
            c.drawString(x + 1 * mm, y, (wrap(text, font, 9, width * mm - 2 * mm) or [""])[0])
            x += width * mm
        y -= 5.5 * mm
        if y < 30 * mm:
            c.showPage()
            y = header(H - 20 * mm)
    y -= 4 * mm
    if y < 60 * mm:
        c.showPage()
        y = H - 20 * mm
    c.setFont(font, 11)
    c.drawString(MARGIN, y, "暂停与事件记录")
    y -= 6 * mm
    c.setFont(font, 9)
    if not log:
        c.drawString(MARGIN, y, "无")
        y -= 5.5 * mm
    for row in log:
        after = row.after or {}
        seat = f"座位 {after['seat']} · " if after.get("seat") else ""
        extra = f"（{_span(after['paused_seconds'])}）" if "paused_seconds" in after else ""
        text = f"{_time(row.at)}  {LOG_KINDS.get(row.action, '')}{extra}  {seat}{row.comment}  — {row.actor_name}"
        for line in wrap(text, font, 9, W - 2 * MARGIN):
            c.drawString(MARGIN, y, line)
            y -= 5 * mm
            if y < 30 * mm:
                c.showPage()
                c.setFont(font, 9)
                y = H - 20 * mm
    y = max(y - 12 * mm, 28 * mm) if y > 40 * mm else (c.showPage(), H - 40 * mm)[1]
    c.setFont(font, 10)
    for n, label in enumerate(("监考员签字", "监考员签字", "考点负责人签字")):
        x = MARGIN + n * (W - 2 * MARGIN) / 3
        c.drawString(x, y, f"{label}：")
        start = x + c.stringWidth(f"{label}：", font, 10) + 1 * mm
        c.line(start, y - 1 * mm, x + (W - 2 * MARGIN) / 3 - 4 * mm, y - 1 * mm)
    c.drawString(MARGIN, y - 10 * mm, f"日期：{_time(now, 'yyyy-MM-dd')}")
    c.setFont(font, 7)
    c.drawRightString(W - MARGIN, 12 * mm, f"打印于 {_time(now, 'yyyy-MM-dd HH:mm')} · {hall.public_id}")
    c.showPage()
    c.save()
    return buf.getvalue()
