"""A demo certification event open for registration, with one exam session."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from question_bank.models import Level
from registration import services
from registration.models import Education, Event, EventKind

CODE = "DEMO26"


def load(session: Session) -> list[str]:
    if session.scalar(select(Event).filter_by(code=CODE)) is not None:
        return ["demo event already present"]
    now = clock.now()
    event = services.save_event(session, event=None, actor=None, fields={
        "code": CODE, "name": "工业互联网系统运维（中级）职业能力认证 · 示范", "kind": EventKind.CERTIFICATION,
        "level": Level.INTERMEDIATE, "groups": [], "registration_opens": now - timedelta(days=1),
        "registration_closes": now + timedelta(days=60), "minimum_education": Education.HIGH_SCHOOL,
        "require_full_hours": False, "correction_days": 5})
    services.add_session(session, event=event, name="第一场 理论+实操", starts_at=now + timedelta(days=70),
                         ends_at=now + timedelta(days=70, hours=5), site="示范实训基地 A 楼 301",
                         address="上海市示范区实训路 1 号", seats=60, actor=None)
    return [f"demo event {CODE} open for registration until {event.registration_closes:%Y-%m-%d}"]
