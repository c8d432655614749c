"""A finished demo event with one certified candidate, so that the verify page and its QR code can
be tried at once (an employer's phone, a printed PDF)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from certificates import results, services, sharing
from certificates.models import Result, ResultStatus
from core import clock
from question_bank.models import Level
from registration import rules as reg_rules
from registration import services as registration
from registration.models import Education, Event, EventKind

CODE = "DEMO25"


def _portrait() -> bytes:
    """A plain drawn portrait (no real person's photo in the demo)."""
    image = Image.new("RGB", (330, 480), (226, 236, 246))
    draw = ImageDraw.Draw(image)
    draw.ellipse((105, 70, 225, 210), fill=(238, 205, 180))
    draw.rounded_rectangle((60, 230, 270, 480), radius=60, fill=(38, 76, 140))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _id_number() -> str:
    body = f"310104{date(1998, 6, 18):%Y%m%d}27" + "3"
    return body + reg_rules.id_check_character(body)


def load(session: Session) -> list[str]:
    if session.scalar(select(Event).filter_by(code=CODE)) is not None:
        return ["demo certificate already present"]
    staff = session.scalar(select(User).where(User.role == Role.CENTRE_STAFF, User.centre_id.is_not(None)))
    admin = session.scalar(select(User).where(User.role == Role.ADMIN))
    if staff is None or admin is None:
        return []
    now = clock.now()
    event = registration.save_event(session, event=None, actor=None, fields={
        "code": CODE, "name": "工业互联网系统运维（中级）职业能力认证 · 示范（已发证）",
        "kind": EventKind.CERTIFICATION, "level": Level.INTERMEDIATE, "groups": [],
        "registration_opens": now - timedelta(days=1), "registration_closes": now + timedelta(days=1),
        "minimum_education": Education.HIGH_SCHOOL, "require_full_hours": False, "correction_days": 5})
    form = registration.save_registration(session, registration=None, event=event, centre=staff.centre, data={
        "full_name": "陈思远", "gender": "male", "birth_date": date(1998, 6, 18), "education": "bachelor",
        "title": "运维工程师", "employer": "示范智能制造有限公司", "phone": "13900139000",
        "address": "上海市示范区实训路 8 号", "email": "siyuan.chen@example.com", "id_number": _id_number(),
        "resume": "2020 年起从事工厂网络与工业互联网平台运维", "training_history": "2025 年完成中级培训 120 学时",
        "group": None}, photo=_portrait(), user=staff, now=now)
    for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
        registration.act(session, registration=form, action=action, user=user, now=now)
    event.registration_opens, event.registration_closes = now - timedelta(days=120), now - timedelta(days=90)
    results.rule_of(session, event)
    result = Result(event_id=event.id, registration_id=form.id, theory=Decimal("86.00"),
                    practical=Decimal("91.50"), total=Decimal("88.75"), passed=True, status=ResultStatus.FINAL,
                    computed_at=now, final_at=now)
    session.add(result)
    session.flush()
    certificate = services.issue(session, result=result, actor=admin, now=now)
    services.pdf_bytes(certificate)
    link = sharing.create(session, certificate=certificate, days=90, label="给示范公司人力资源部", actor=form.user,
                          now=now)
    return [f"demo certificate {certificate.number}: {services.verify_url(certificate)}",
            f"demo share link (90 days): {sharing.share_url(link)}"]

