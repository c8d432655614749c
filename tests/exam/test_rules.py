from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from exam import rules

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def test_deadline_adds_extra_time_and_stops_at_the_window():
    close = T0 + timedelta(minutes=90)
    assert rules.deadline(started_at=T0, duration_minutes=60, extra_minutes=0, closes_at=close,
                          allow_overrun=False) == T0 + timedelta(minutes=60)
    assert rules.deadline(started_at=T0, duration_minutes=60, extra_minutes=15, closes_at=close,
                          allow_overrun=False) == T0 + timedelta(minutes=75)
    late = T0 + timedelta(minutes=50)
    assert rules.deadline(started_at=late, duration_minutes=60, extra_minutes=0, closes_at=close,
                          allow_overrun=False) == close
    assert rules.deadline(started_at=late, duration_minutes=60, extra_minutes=0, closes_at=close,
                          allow_overrun=True) == late + timedelta(minutes=60)


@pytest.mark.parametrize("qtype,response,key,score", [
    ("single", "B", "B", "2.00"), ("single", "A", "B", "0.00"), ("single", None, "B", "0.00"),
    ("true_false", False, False, "2.00"), ("true_false", True, False, "0.00"),
    ("fill_blank", ["ＴＣＰ "], [["TCP", "传输控制协议"]], "2.00"), ("fill_blank", ["UDP"], [["TCP"]], "0.00"),
    ("multiple", ["A", "C"], ["A", "C"], "2.00"), ("multiple", ["A"], ["A", "C"], "0.00"),
    ("multiple", ["A", "B"], ["A", "C"], "0.00"),
])
def test_grading_all_or_nothing(qtype, response, key, score):
    graded = rules.grade(qtype, response, key, points=Decimal("2"), multiple_rule="all_or_nothing",
                         partial_fraction=Decimal("0.5"))
    assert graded.score == Decimal(score)


def test_grading_partial_credit_for_a_correct_subset():
    def grade(response):
        return rules.grade("multiple", response, ["A", "C", "D"], points=Decimal("3"), multiple_rule="partial",
                           partial_fraction=Decimal("0.333")).score
    assert grade(["A", "C", "D"]) == Decimal("3.00")
    assert grade(["A"]) == Decimal("1.00")  # 3 × 0.333 = 0.999 → 1.00, rounded half up once
    assert grade(["A", "B"]) == Decimal("0.00")  # a wrong option earns nothing
    assert grade([]) == Decimal("0.00")


def _pool():
    return [rules.PoolItem(i, "single", 1 + i % 2, "junior", 1 + i % 5, ("A", "B", "C", "D")) for i in range(1, 21)]


def test_draw_is_reproducible_and_differs_between_seeds():
    sections = [rules.Section(1, "single", Decimal("2"), (rules.Quota(5, module=1), rules.Quota(5, module=2)))]
    a = rules.draw(sections, _pool(), seed="alpha", shuffle_questions=True, shuffle_options=True)
    again = rules.draw(sections, list(reversed(_pool())), seed="alpha", shuffle_questions=True, shuffle_options=True)
    b = rules.draw(sections, _pool(), seed="beta", shuffle_questions=True, shuffle_options=True)
    assert a == again
    assert [i.version_id for i in a] != [i.version_id for i in b] or [i.option_order for i in a] != [
        i.option_order for i in b]
    assert len({i.version_id for i in a}) == 10
    assert sum(1 for i in a if i.version_id % 2 == 1) == 5  # module quotas hold (module 2 ↔ odd ids)


def test_shortfalls_name_the_quota():
    sections = [rules.Section(7, "single", Decimal("1"), (rules.Quota(3, difficulty=5), rules.Quota(30)))]
    short = rules.shortfalls(sections, _pool())
    # Four questions of difficulty 5 fill the first quota; the 17 left cannot fill the second.
    assert [(s.section, s.quota, s.needed, s.available) for s in short] == [(7, 1, 30, 17)]


def test_response_shapes():
    assert rules.response_problem("single", "E", ("A", "B"), 0) == "not_an_option"
    assert rules.response_problem("multiple", ["A", "A"], ("A", "B"), 0) == "not_an_option"
    assert rules.response_problem("true_false", "true", (), 0) == "not_true_false"
    assert rules.response_problem("fill_blank", ["x", "y"], (), [["a"]]) == "bad_blanks"
    assert rules.response_problem("single", None, ("A",), 0) is None


def test_hash_chain_depends_on_every_field():
    base = dict(attempt="a", item=1, seq=1, response="A", flagged=False, at=T0)
    first = rules.chain_hash(rules.GENESIS, **base)
    assert first != rules.chain_hash(rules.GENESIS, **{**base, "response": "B"})
    assert first != rules.chain_hash(rules.GENESIS, **{**base, "seq": 2})
    assert first != rules.chain_hash("1" * 64, **base)
