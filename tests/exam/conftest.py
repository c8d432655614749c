from datetime import timedelta
from decimal import Decimal

import pytest

from core import clock
from exam import admin, services
from exam.models import Exam, MultipleRule
from question_bank import services as qb
from question_bank.models import QuestionStatus, QuestionType

TOPICS = ["交换机", "路由器", "防火墙", "网关", "PLC", "传感器", "数据库", "MQTT", "OPC UA", "边缘节点",
          "数字孪生", "标识解析"]


def _single(i):
    return {"type": "single", "module": 1 + i % 5, "level": "junior", "difficulty": 1 + i % 5,
            "stem": f"第{i}题：关于{TOPICS[i % len(TOPICS)]}的说法，哪一项正确（编号{i * 7919}）？",
            "options": [{"key": k, "text": f"{TOPICS[i % len(TOPICS)]}选项{k}{i}"} for k in "ABCD"],
            "answer": "ABCD"[i % 4], "explanation": "示例解析，用于测试。", "tags": [], "source": "test"}


def _multiple(i):
    return {"type": "multiple", "module": 1 + i % 5, "level": "junior", "difficulty": 3,
            "stem": f"多选第{i}题：下列关于{TOPICS[i % len(TOPICS)]}的哪些说法正确（编号{i * 104729}）？",
            "options": [{"key": k, "text": f"多选{k}{i}"} for k in "ABCD"],
            "answer": ["A", "C"], "explanation": "示例解析，用于测试。", "tags": [], "source": "test"}


def _true_false(i):
    return {"type": "true_false", "module": 1 + i % 5, "level": "junior", "difficulty": 2,
            "stem": f"判断第{i}题：{TOPICS[i % len(TOPICS)]}需要定期巡检（编号{i * 31337}）。",
            "options": [], "answer": i % 2 == 0, "explanation": "示例解析，用于测试。", "tags": [], "source": "test"}


def _fill(i):
    return {"type": "fill_blank", "module": 1 + i % 5, "level": "junior", "difficulty": 4,
            "stem": f"填空第{i}题：{TOPICS[i % len(TOPICS)]}的端口号是 ____（编号{i * 65537}）。",
            "options": [], "answer": [[str(1000 + i), f"端口{1000 + i}"]], "explanation": "示例解析。",
            "tags": [], "source": "test"}


@pytest.fixture
def bank(db):
    """An active bank: 12 single, 6 multiple, 6 true/false and 4 fill-in junior questions."""
    made = []
    for maker, n in ((_single, 12), (_multiple, 6), (_true_false, 6), (_fill, 4)):
        for i in range(n):
            made.append(qb.create_question(db.session, data=maker(i), actor=None, status=QuestionStatus.ACTIVE))
    db.session.commit()
    return made


@pytest.fixture
def make_exam(db, bank, create_user):
    """An exam with one section per type, the given candidates admitted, published."""

    def make(candidates=(), *, publish=True, duration=60, opens=-10, closes=120, **settings):
        now = clock.now()
        admin_user = create_user("admin")
        fields = {
            "title": "理论考试", "event": "2026 省赛", "event_id": None, "level": "junior",
            "duration_minutes": duration,
            "opens_at": now + timedelta(minutes=opens), "closes_at": now + timedelta(minutes=closes),
            "allow_overrun": False, "access_code": "", "shuffle_questions": True, "shuffle_options": True,
            "pass_score": Decimal("60"), "review_policy": "after_release",
            "multiple_rule": MultipleRule.ALL_OR_NOTHING, "partial_fraction": Decimal("0.5"), "grace_seconds": 15,
        }
        fields.update(settings)
        from exam.models import ReviewPolicy
        from question_bank.models import Level

        fields["level"] = Level(fields["level"])
        fields["review_policy"] = ReviewPolicy(fields["review_policy"])
        exam = admin.save_exam(db.session, exam=None, fields=fields, actor=admin_user)
        for qtype, count, points in (("single", 8, "2"), ("multiple", 4, "4"), ("true_false", 4, "2"),
                                     ("fill_blank", 2, "5")):
            admin.add_section(db.session, exam=exam, type=QuestionType(qtype), title="", points=Decimal(points),
                              quotas=[{"count": count}], actor=admin_user)
        if candidates:
            admin.add_to_roster(db.session, exam=exam, usernames=[c.username for c in candidates],
                                actor=admin_user)
        if publish:
            services.publish(db.session, exam=exam, actor=admin_user, now=now)
        db.session.commit()
        return exam

    return make


@pytest.fixture
def candidate(create_user):
    return create_user("candidate")


def _exam_total(exam: Exam) -> Decimal:
    return exam.total_points
