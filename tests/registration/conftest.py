import io
from datetime import date, timedelta

import pytest
from PIL import Image

from core import clock
from question_bank.models import Level
from registration import rules, services
from registration.models import Education, EventKind


def make_id(born: date = date(2001, 3, 14), *, male: bool = True, region: str = "440305", seq: str = "12") -> str:
    body = f"{region}{born:%Y%m%d}{seq}{'3' if male else '4'}"
    return body + rules.id_check_character(body)


def photo_bytes(size=(600, 800), fmt="JPEG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (40, 90, 200)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture
def event(db, create_user, frozen_clock):
    now = clock.now()
    admin = create_user("admin")
    event = services.save_event(db.session, event=None, actor=admin, fields={
        "code": "2026GD", "name": "2026 工业互联网系统运维（中级）认证", "kind": EventKind.CERTIFICATION,
        "level": Level.INTERMEDIATE, "groups": [], "registration_opens": now - timedelta(days=1),
        "registration_closes": now + timedelta(days=30), "minimum_education": Education.HIGH_SCHOOL,
        "require_full_hours": False, "correction_days": 5})
    services.add_session(db.session, event=event, name="第一场", starts_at=now + timedelta(days=40),
                         ends_at=now + timedelta(days=40, hours=1), site="广州实训基地", address="广州市天河区",
                         seats=2, actor=admin)
    db.session.commit()
    return event


def form_data(**overrides):
    data = {"full_name": "黄小明", "gender": "male", "birth_date": date(2001, 3, 14), "education": "vocational",
            "title": "学生", "employer": "广州职业技术学院", "phone": "13800138000", "address": "广州市番禺区",
            "email": "xiaoming@example.com", "id_number": make_id(), "resume": "2019-2022 就读于高职院校",
            "training_history": "2025 年参加中级培训", "group": None}
    data.update(overrides)
    return data


@pytest.fixture
def staff(create_user):
    return create_user("centre_staff")


@pytest.fixture
def draft(db, event, staff, frozen_clock):
    def make(**overrides):
        registration = services.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                                  data=form_data(**overrides), photo=photo_bytes(), user=staff,
                                                  now=clock.now())
        db.session.commit()
        return registration

    return make
