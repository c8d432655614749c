"""Demo accounts: an administrator, a centre with staff, referees, an invigilator and candidates."""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import services
from accounts.models import Role, TrainingCentre

DEMO_CENTRE = {
    "code": "DEMO-01",
    "name": "示范工业互联网培训中心",
    "contact_name": "陈老师",
    "phone": "021-55550100",
    "address": "上海市示范区实训路 1 号",
    "active": True,
}

DEMO_USERS = [
    ("admin", "项目中心管理员", Role.ADMIN),
    ("centre", "王培训", Role.CENTRE_STAFF),
    ("referee", "李裁判", Role.REFEREE),
    ("chief", "张裁判长", Role.CHIEF_REFEREE),
    ("invig", "周监考", Role.INVIGILATOR),
    ("cand01", "赵一鸣", Role.CANDIDATE),
    ("cand02", "钱二丽", Role.CANDIDATE),
    ("cand03", "孙三强", Role.CANDIDATE),
    ("cand04", "李四海", Role.CANDIDATE),
    ("intl01", "Maya Fischer", Role.CANDIDATE),  # the competition's international group: English
    ("employer", "示范智能制造有限公司", Role.EMPLOYER),  # checks certificates: an organisation's account
]
ENGLISH = {"intl01"}  # accounts whose pages speak English


def load(session: Session) -> list[str]:
    fixed = current_app.config.get("DEMO_PASSWORD") or ""
    centre = session.scalar(select(TrainingCentre).filter_by(code=DEMO_CENTRE["code"]))
    if centre is None:
        centre = services.save_centre(session, centre=None, **DEMO_CENTRE)
    created = []
    for username, full_name, role in DEMO_USERS:
        if services.find_user(session, username) is not None:
            continue
        password = fixed or secrets.token_urlsafe(9)
        user = services.create_user(
            session, username=username, full_name=full_name, role=role, password=password,
            email=f"{username}@example.com",
            centre=centre if role is Role.CENTRE_STAFF else None,
        )
        if username in ENGLISH:
            user.locale = "en"
        created.append(f"  {role.value:<14} {username:<10} {password}")
    if not created:
        return ["demo accounts already present (reset one with: flask accounts reset-password USER)"]
    return ["demo accounts created; the passwords are shown only now:", *created]
