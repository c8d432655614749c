"""A demo event whose results are in publicity (公示), so that objections and reviews can be tried
at once: the demo candidate cand01 is on the list and has asked for a review of the theory paper;
a member of the public has objected to another entry and been answered."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from certificates import objections, results
from certificates.demo import _portrait  # the same drawn portrait (no real person in the demo)
from certificates.models import ObjectionKind, Result
from core import clock
from question_bank.models import Level
from registration import rules as reg_rules
from registration import services as registration
from registration.models import Education, Event, EventKind

CODE = "PUB26"
PEOPLE = (  # name, birth date, theory, practical
    ("赵一鸣", date(2001, 3, 9), "58.00", "83.50"),
    ("孙晓雯", date(1999, 11, 2), "81.00", "88.00"),
    ("周立新", date(1997, 7, 21), "74.50", "69.00"),
    ("吴海峰", date(2000, 1, 30), "66.00", "77.50"),
)


def _id_number(born: date, n: int) -> str:
    body = f"330106{born:%Y%m%d}{n:02d}" + "1"
    return body + reg_rules.id_check_character(body)


def load(session: Session) -> list[str]:
    if session.scalar(select(Event).filter_by(code=CODE)) is not None:
        return ["demo publicity already present"]
    staff = session.scalar(select(User).where(User.role == Role.CENTRE_STAFF, User.centre_id.is_not(None)))
    admin = session.scalar(select(User).where(User.role == Role.ADMIN))
    candidate = session.scalar(select(User).filter_by(username="cand01"))
    if staff is None or admin is None or candidate is None:
        return []
    now = clock.now()
    event = registration.save_event(session, event=None, actor=None, fields={
        "code": CODE, "name": "工业互联网系统运维（中级）职业能力认证 · 示范（公示中）",
        "kind": EventKind.CERTIFICATION, "level": Level.INTERMEDIATE, "groups": [],
        "registration_opens": now - timedelta(days=1), "registration_closes": now + timedelta(days=1),
        "minimum_education": Education.HIGH_SCHOOL, "require_full_hours": False, "correction_days": 5})
    rule = results.rule_of(session, event)
    rows = []
    for n, (name, born, theory, practical) in enumerate(PEOPLE, start=1):
        form = registration.save_registration(session, registration=None, event=event, centre=staff.centre, data={
            "full_name": name, "gender": "male", "birth_date": born, "education": "vocational",
            "title": "运维技术员", "employer": "示范智能制造有限公司", "phone": f"1390013{n:04d}",
            "address": "杭州市示范区实训路 8 号", "email": f"demo26-{n}@example.com",
            "id_number": _id_number(born, n), "resume": "从事工业网络与设备运维",
            "training_history": "中级培训 120 学时",
            "group": None}, photo=_portrait(), user=staff, now=now)
        if n == 1:
            form.applicant = candidate  # the demo candidate's own account: the result is on their page
        for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
            registration.act(session, registration=form, action=action, user=user, now=now)
        t, p = Decimal(theory), Decimal(practical)
        total = (t * rule.theory_weight + p * rule.practical_weight).quantize(Decimal("0.01"))
        rows.append(Result(event_id=event.id, registration_id=form.id, theory=t, practical=p, total=total,
                           passed=t >= rule.theory_pass and p >= rule.practical_pass, computed_at=now))
    event.registration_opens, event.registration_closes = now - timedelta(days=60), now - timedelta(days=30)
    session.add_all(rows)
    session.flush()
    results.publish(session, event=event, actor=admin, now=now)
    objections.file(session, result=rows[0], kind=ObjectionKind.REVIEW, part="theory", filer=candidate, now=now,
                    reason="理论成绩 58 分，与我考后核对的答案相差较大，申请复核理论试卷。")
    public = objections.file(session, result=rows[2], kind=ObjectionKind.OBJECTION, part="", now=now,
                             name="李女士", contact="li.demo@example.com", address="demo",
                             reason="该考生实操任务 5 当天未完成，成绩似乎偏高。")
    objections.answer(session, objection=public, actor=admin, now=now,
                      text="经核对现场评分表与录像，实操任务 5 已在规定时间内完成，成绩无误。")
    return [f"demo publicity {CODE}: results in publicity, cand01 has asked for a review; "
            f"objections queue at /certificates/admin/objections"]
