"""The admission ticket (准考证) and the registration form (seed 002, 2.5) as A4 PDFs."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from flask_babel import format_datetime
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from core.pdf import cjk_font, qr_image, wrap
from registration import rules
from registration.models import Registration

W, H = A4


def _photo(c: canvas.Canvas, registration: Registration, folder: Path, x: float, y: float) -> None:
    """A one-inch photo (25 × 35 mm) with its lower-left corner at (x, y)."""
    c.rect(x, y, 25 * mm, 35 * mm)
    path = folder / registration.photo if registration.photo else None
    if path is not None and path.exists():
        c.drawImage(ImageReader(str(path)), x, y, 25 * mm, 35 * mm)


def admission_ticket(registration: Registration, *, check_in_url: str, sign_in_url: str, photo_folder: Path) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"准考证 {registration.candidate_number}")
    _ticket_page(c, registration, check_in_url, sign_in_url, photo_folder, cjk_font())
    c.save()
    return buf.getvalue()


def admission_tickets(registrations: list[Registration], *, check_in_url: Callable[[Registration], str],
                      sign_in_url: str, photo_folder: Path) -> bytes:
    """The tickets of many candidates in one PDF, one page each, in the order given."""
    font = cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"准考证 × {len(registrations)}")
    for registration in registrations:
        _ticket_page(c, registration, check_in_url(registration), sign_in_url, photo_folder, font)
    c.save()
    return buf.getvalue()


def _ticket_page(c: canvas.Canvas, registration: Registration, check_in_url: str, sign_in_url: str,
                 photo_folder: Path, font: str) -> None:
    event, session = registration.event, registration.session
    c.setFont(font, 20)
    c.drawCentredString(W / 2, H - 30 * mm, "准 考 证")
    c.setFont(font, 11)
    c.drawCentredString(W / 2, H - 38 * mm, event.name)
    top = H - 50 * mm
    rows = [
        ("准考证号", registration.candidate_number or ""),
        ("姓名", registration.full_name),
        ("身份证号", rules.mask_id(registration.id_number)),
        ("培训机构", registration.centre.name),
        ("考试场次", session.name if session else "待安排"),
        ("考试时间", (f"{format_datetime(session.starts_at, 'yyyy-MM-dd HH:mm')} – "
                  f"{format_datetime(session.ends_at, 'HH:mm')}") if session else "待安排"),
        ("考点", session.site if session else "待安排"),
        ("地址", session.address if session else ""),
        ("座位号", str(registration.seat) if registration.seat else "待安排"),
        ("考试账号", registration.user.username if registration.user else "待安排"),
        ("登录地址", sign_in_url),
    ]
    y = top
    for label, value in rows:
        c.setFont(font, 11)
        c.drawString(25 * mm, y, label)
        c.setFont(font, 12 if label == "准考证号" else 11)
        for line in wrap(value, font, 11, 95 * mm):
            c.drawString(50 * mm, y, line)
            y -= 6 * mm
        y -= 2 * mm
    _photo(c, registration, photo_folder, W - 55 * mm, top - 30 * mm)
    c.drawImage(qr_image(check_in_url), W - 60 * mm, top - 80 * mm, 35 * mm, 35 * mm)
    c.setFont(font, 8)
    c.drawCentredString(W - 42.5 * mm, top - 84 * mm, "入场签到请出示此码")
    c.setFont(font, 9)
    notes = ["考生须知：", "1. 请携带本准考证和身份证，提前 30 分钟到达考点，扫码签到后入场。",
             "2. 理论考试时长 60 分钟，由服务器计时；网络中断时答案保存在本机，恢复后自动上传。",
             "3. 遵守考场纪律，服从监考人员安排。",
             "4. 在考场电脑上打开登录地址，用上面的考试账号登录：初始密码见培训机构发放的账号单（已有账号的",
             "   考生用自己的密码），首次登录须设置自己的密码。"]
    y = 70 * mm
    for line in notes:
        c.drawString(25 * mm, y, line)
        y -= 5.5 * mm
    c.showPage()


def registration_form(registration: Registration, *, photo_folder: Path) -> bytes:
    """The training registration form in the layout of seed 002, 2.5, with the project centre's
    opinion block carrying the theory and practical scores once results exist."""
    font = cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle("认证培训登记表")
    c.setFont(font, 15)
    c.drawCentredString(W / 2, H - 22 * mm, "工业和信息化职业技能提升工程认证培训登记表")
    left, right = 18 * mm, W - 18 * mm
    x1, x2, x3, x4 = left + 24 * mm, left + 62 * mm, left + 80 * mm, left + 100 * mm
    photo_x = right - 35 * mm
    row = 10 * mm
    top = H - 30 * mm

    def cell_text(x, y, text, size=10, width=None):
        c.setFont(font, size)
        lines = wrap(text or "", font, size, width) if width else [text or ""]
        for n, line in enumerate(lines[:6]):
            c.drawString(x + 1.5 * mm, y - 6.5 * mm - n * 4.5 * mm, line)

    r = registration
    grid = [
        [("姓名", left, x1), (r.full_name, x1, x2), ("性别", x2, x3), (r.gender.label, x3, photo_x)],
        [("出生年月", left, x1), (r.birth_date.strftime("%Y-%m"), x1, x2), ("文化程度", x2, x3),
         (r.education.label, x3, photo_x)],
        [("职称/职务", left, x1), (r.title, x1, photo_x)],
        [("单位名称", left, x1), (r.employer, x1, x3), ("电话", x3, x4), (r.phone, x4, photo_x)],
    ]
    y = top
    for line in grid:
        for text, a, b in line:
            c.rect(a, y - row, b - a, row)
            cell_text(a, y, str(text), 9 if len(str(text)) > 14 else 10, b - a - 3 * mm)
        y -= row
    c.rect(photo_x, y, right - photo_x, top - y)
    if r.photo and (photo_folder / r.photo).exists():
        c.drawImage(ImageReader(str(photo_folder / r.photo)), photo_x + 5 * mm, y + 2 * mm, 25 * mm, 35 * mm)
    else:
        cell_text(photo_x, top - 15 * mm, "一寸蓝底免冠照片", 9)
    for line in ([("联系地址", left, x1), (r.address, x1, x3), ("邮箱", x3, x4), (r.email, x4, right)],
                 [("身份证号码", left, x1), (r.id_number, x1, right)]):
        for text, a, b in line:
            c.rect(a, y - row, b - a, row)
            cell_text(a, y, str(text), 9 if len(str(text)) > 18 else 10, b - a - 3 * mm)
        y -= row
    tall = 45 * mm
    c.rect(left, y - tall, x1 - left, tall)
    c.rect(x1, y - tall, right - x1, tall)
    cell_text(left, y, "个人简历及参加培训情况", 10, x1 - left - 3 * mm)
    cell_text(x1, y, f"{r.resume}\n{r.training_history}".strip(), 9, right - x1 - 3 * mm)
    y -= tall
    block = 30 * mm
    c.rect(left, y - block, x1 - left, block)
    c.rect(x1, y - block, right - x1, block)
    cell_text(left, y, "单位意见", 10)
    cell_text(x1, y, r.centre_opinion, 10, right - x1 - 3 * mm)
    c.setFont(font, 10)
    stamp = format_datetime(r.centre_approved_at, "yyyy 年 MM 月 dd 日") if r.centre_approved_at else "年  月  日"
    c.drawRightString(right - 5 * mm, y - block + 5 * mm, f"（盖章）  {stamp}")
    y -= block
    c.rect(left, y - block, x1 - left, block)
    c.rect(x1, y - block, right - x1, block)
    cell_text(left, y, "项目中心意见", 10)
    theory = f"{r.theory_score}" if r.theory_score is not None else ""
    practical = f"{r.practical_score}" if r.practical_score is not None else ""
    cell_text(x1, y, f"理论成绩：{theory}        实操成绩：{practical}", 10)
    cell_text(x1, y - 6 * mm, r.project_opinion, 10, right - x1 - 3 * mm)
    stamp = format_datetime(r.approved_at, "yyyy 年 MM 月 dd 日") if r.approved_at else "年  月  日"
    c.drawRightString(right - 5 * mm, y - block + 5 * mm, f"（盖章）  {stamp}")
    c.showPage()
    c.save()
    return buf.getvalue()
