from decimal import Decimal as D

import pytest

from scoring import rules


def test_scheme_sums():
    good = [rules.TaskSpec(1, D(60), (rules.AspectSpec("1.1", "measurement", D(40), D(1)),
                                       rules.AspectSpec("1.2", "judgement", D(20)))),
            rules.TaskSpec(2, D(40), (rules.AspectSpec("2.1", "deduction", D(40)),))]
    assert rules.scheme_problems(good, D(100)) == []
    bad = [rules.TaskSpec(1, D(60), (rules.AspectSpec("1.1", "measurement", D(35), D(2)),)),
           rules.TaskSpec(2, D(30), (rules.AspectSpec("2.1", "judgement", D(30), judges=0),))]
    codes = [code for code, _p in rules.scheme_problems(bad, D(100))]
    assert codes == ["tasks_sum", "aspects_sum", "aspect_step", "aspect_judges"]


@pytest.mark.parametrize("kind,value,maxp,step,problem", [
    ("measurement", D(3), D(4), None, "all_or_nothing"), ("measurement", D(4), D(4), None, None),
    ("measurement", D(0), D(4), None, None), ("measurement", D("1.5"), D(4), D("0.5"), None),
    ("measurement", D("1.2"), D(4), D("0.5"), "wrong_step"), ("measurement", D(5), D(4), D(1), "out_of_range"),
    ("measurement", D(-1), D(4), D(1), "out_of_range"), ("judgement", D(3), D(10), None, None),
    ("judgement", D(4), D(10), None, "judgement_range"), ("judgement", D("2.5"), D(10), None, "judgement_range"),
    ("deduction", D(0), D(5), None, "deduction_range"), ("deduction", D(6), D(5), None, "deduction_range"),
])
def test_values(kind, value, maxp, step, problem):
    assert rules.value_problem(kind, value, max_points=maxp, step=step) == problem


def test_judgement_mean_scaled():
    assert rules.judgement_mark([D(2), D(3), D(3)], max_points=D(6)) == D("5.33")  # mean 8/3, ×6/3
    assert rules.judgement_mark([], max_points=D(6)) == D("0.00")


def test_deduction_floor():
    assert rules.deduction_mark([D(1), D("1.5")], max_points=D(5)) == D("2.50")
    assert rules.deduction_mark([D(3), D(4)], max_points=D(5)) == D("0.00")


def test_divergence():
    assert rules.diverges([D(1), D(3)], gap=D(1)) and not rules.diverges([D(2), D(3)], gap=D(1))
    assert not rules.diverges([D(3)], gap=D(1))


def test_trimmed_mean():
    assert rules.trimmed_mean([D(80), D(90)]) == D("85.00")
    assert rules.trimmed_mean([D(60), D(80), D(82), D(84), D(99)]) == D("82.00")  # 60 and 99 dropped


def test_digest_changes_with_any_mark():
    a = rules.digest([(1, 1, 0, D(3), "submitted")])
    assert a == rules.digest([(1, 1, 0, D("3"), "submitted")])
    assert a != rules.digest([(1, 1, 0, D(2), "submitted")])


def test_referee_stats():
    stats = rules.referee_stats([("A", "x", 3.0), ("B", "x", 1.0), ("A", "y", 2.0), ("B", "y", 2.0)])
    a = next(s for s in stats if s.referee == "A")
    assert (a.n, a.mean, a.panel_mean) == (2, 2.5, 2.0)
