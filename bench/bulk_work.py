"""What the project office's bulk actions cost: N forms submitted, approved twice and enrolled
through registration.services.bulk_act, in one transaction each, on a file SQLite database (or
DATABASE_URL), with the production password hash. Enrolment is measured twice: with the initial
passwords hashed by scrypt (as before issue 15) and by RANDOM_PASSWORD_HASH_METHOD.

    .venv/bin/python bench/bulk_work.py --forms 300 --out bench/results/bulk-work-sqlite.md
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from accounts import services as accounts  # noqa: E402
from accounts.models import Role  # noqa: E402
from app import create_app  # noqa: E402
from core import clock  # noqa: E402
from core.extensions import db  # noqa: E402
from registration import rules, services  # noqa: E402
from registration.models import Education, EventKind, Level, Registration  # noqa: E402


def _id_number(n: int) -> str:
    body = f"440305{date(2000, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return body + rules.id_check_character(body)


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 400), (40, 90, 200)).save(buf, format="JPEG")
    return buf.getvalue()


def run(forms: int, random_method: str, folder: str) -> dict[str, float]:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bulk-{random_method.replace(':', '-')}.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": folder, "PASSWORD_HASH_METHOD": "scrypt",
                      "RANDOM_PASSWORD_HASH_METHOD": random_method, "TESTING": False})
    times = {}
    with app.app_context(), app.test_request_context():
        db.drop_all()
        db.create_all()
        now = clock.now()
        admin = accounts.create_user(db.session, username="admin", full_name="管理员", role=Role.ADMIN,
                                     password="bench admin password")
        centre = accounts.save_centre(db.session, centre=None, code="B01", name="基准培训中心", active=True)
        staff = accounts.create_user(db.session, username="staff", full_name="机构人员", role=Role.CENTRE_STAFF,
                                     password="bench staff password", centre=centre)
        event = services.save_event(db.session, event=None, actor=admin, fields={
            "code": "BK26", "name": "批量基准", "kind": EventKind.CERTIFICATION, "level": Level.JUNIOR, "groups": [],
            "registration_opens": now - timedelta(days=1), "registration_closes": now + timedelta(days=30),
            "minimum_education": Education.HIGH_SCHOOL, "require_full_hours": False, "correction_days": 5})
        services.add_session(db.session, event=event, name="第一场", starts_at=now + timedelta(days=40),
                             ends_at=now + timedelta(days=40, hours=1), site="基地", address="", seats=forms,
                             actor=admin)
        photo = _photo()
        for n in range(forms):
            services.save_registration(db.session, registration=None, event=event, centre=centre, photo=photo,
                                       user=staff, now=now, data={
                                           "full_name": f"考生{n}", "gender": "male" if int(_id_number(n)[16]) % 2
                                           else "female", "birth_date": date(2000, 1, 1) + timedelta(days=n),
                                           "education": "vocational", "title": "", "employer": "某学院",
                                           "phone": "13800138000", "address": "", "email": f"c{n}@example.com",
                                           "id_number": _id_number(n), "resume": "", "training_history": "",
                                           "group": None})
        db.session.commit()
        for action, user in (("submit", staff), ("approve", staff), ("approve", admin), ("enrol", admin)):
            people = db.session.scalars(select(Registration).where(Registration.event_id == event.id)).all()
            start = time.perf_counter()
            result = services.bulk_act(db.session, registrations=people, action=action, user=user, now=now)
            db.session.commit()
            times[f"{action} ({user.role.value})"] = time.perf_counter() - start
            assert not result.skipped, result.skipped[:3]
        db.session.remove()
        db.engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--forms", type=int, default=300)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before = run(args.forms, "scrypt", folder)
        after = run(args.forms, "pbkdf2:sha256:1000", folder)
    lines = [f"# Bulk work on {args.forms} forms ({os.environ.get('DATABASE_URL', 'SQLite file').split(':')[0]})", "",
             "One request's transaction each, through registration.services.bulk_act; seconds.", "",
             "| action | initial passwords by scrypt | by RANDOM_PASSWORD_HASH_METHOD |", "|---|---:|---:|"]
    for key in before:
        lines.append(f"| {key} | {before[key]:.2f} | {after[key]:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
