"""A numeric question (数值题) on a paper: the page shows the unit, never the value; the answer is
saved as typed and graded as a number within the tolerance, with its unit or without one."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import clock
from exam import admin, services
from exam.models import Attempt, ExamStatus, MultipleRule, ReviewPolicy
from question_bank import services as qb
from question_bank.models import Level, QuestionStatus, QuestionType
from tests.exam.test_views import config_of, save, start_page

UNIT = "<b>MPa"
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")  # a unit is text: it is escaped like any other


def _numeric(i):
    return {"type": "numeric", "module": 4, "level": "junior", "difficulty": 3,
            "stem": f"数值第{i}题：量程 0–{i + 1}.6 MPa 的变送器输出 12 mA 时压力是多少（编号{i * 7907}）？",
            "options": [], "answer": {"value": (i + 1.6) / 2, "tolerance": 0.01, "mode": "absolute", "unit": UNIT},
            "explanation": "按 4–20 mA 线性换算。", "tags": [], "source": "test"}


@pytest.fixture
def numeric_exam(db, create_user):
    for i in range(6):
        qb.create_question(db.session, data=_numeric(i), actor=None, status=QuestionStatus.ACTIVE)
    admin_user = create_user("admin")

    def open_for(candidate):
        now = clock.now()
        fields = {"title": "数值题考试", "event": "", "event_id": None, "level": Level.JUNIOR, "duration_minutes": 60,
                  "opens_at": now - timedelta(minutes=10), "closes_at": now + timedelta(minutes=120),
                  "allow_overrun": False, "access_code": "", "shuffle_questions": True, "shuffle_options": True,
                  "pass_score": Decimal("60"), "review_policy": ReviewPolicy.AFTER_RELEASE,
                  "multiple_rule": MultipleRule.ALL_OR_NOTHING, "partial_fraction": Decimal("0.5"),
                  "grace_seconds": 15}
        exam = admin.save_exam(db.session, exam=None, fields=fields, actor=admin_user)
        admin.add_section(db.session, exam=exam, type=QuestionType("numeric"), title="", points=Decimal("5"),
                          quotas=[{"count": 4}], actor=admin_user)
        admin.add_to_roster(db.session, exam=exam, usernames=[candidate.username], actor=admin_user)
        services.publish(db.session, exam=exam, actor=admin_user, now=now)
        db.session.commit()
        return exam

    return open_for


def test_the_page_shows_the_unit_escaped_and_never_the_value(client, login_as, numeric_exam, db, frozen_clock):
    user = login_as("candidate")
    exam = numeric_exam(user)
    html = client.get(start_page(client, exam)).get_data(as_text=True)
    attempt = db.session.scalar(select(Attempt))
    assert exam.status is ExamStatus.PUBLISHED and len(attempt.paper.items) == 4
    assert html.count('data-answer="text"') == 4 and 'inputmode="decimal"' in html
    assert "&lt;b&gt;MPa" in html and "<b>MPa" not in html
    for item in attempt.paper.items:
        value = item.version.kind.example_response(item.version.answer).removesuffix(UNIT)
        assert f">{value}<" not in html and f'"{value}"' not in html


def test_answers_typed_with_or_without_the_unit_are_graded_as_numbers(client, login_as, numeric_exam, db,
                                                                      frozen_clock):
    user = login_as("candidate")
    exam = numeric_exam(user)
    url = start_page(client, exam)
    config = config_of(client.get(url).get_data(as_text=True))
    attempt = db.session.scalar(select(Attempt))
    items = sorted(attempt.paper.items, key=lambda i: i.position)
    values = [Decimal(str(i.version.answer["value"])) for i in items]
    typed = [f"{values[0]:.3f} {UNIT}",                      # with the unit, more digits: right
             str(values[1] + Decimal("0.01")).translate(FULL_WIDTH),  # at the tolerance's edge, full width
             f"{values[2]} kPa",                              # another unit: wrong
             "about right"]                                   # not a number: kept, and wrong
    response = save(client, config["save_url"], [{"item": item.id, "response": text, "seq": 1}
                                                 for item, text in zip(items, typed, strict=True)])
    assert response.status_code == 200 and response.get_json()["rejected"] == []
    too_long = save(client, config["save_url"], [{"item": items[3].id, "response": "1" * 61, "seq": 2}])
    assert too_long.get_json()["rejected"] == [{"item": items[3].id, "reason": "not_text"}]
    services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    services.grade_pending(db.session)
    db.session.refresh(attempt)
    scores = {a.item_id: a.score for a in attempt.answers}
    assert [scores[i.id] for i in items] == [Decimal("5.00"), Decimal("5.00"), Decimal("0.00"), Decimal("0.00")]
    assert {a.item_id: a.response for a in attempt.answers}[items[3].id] == "about right"  # as typed
