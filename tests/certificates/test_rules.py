from datetime import UTC, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from certificates import rules
from question_bank import standard

BEIJING = ZoneInfo("Asia/Shanghai")


def test_certification_needs_both_parts():
    rule = rules.Rule("certification")
    r = rules.combine(rule, theory=D("59.995"), practical=D("80"))
    assert (r.theory, r.practical, r.total, r.passed) == (D("60.00"), D("80.00"), D("70.00"), True)
    assert not rules.combine(rule, theory=D("59.99"), practical=D(95)).passed
    assert not rules.combine(rule, theory=D(95), practical=D("59.99")).passed
    assert rules.combine(rule, theory=None, practical=D(90)).total is None


def test_competition_weights_round_once():
    rule = rules.Rule("competition", theory_weight=D("0.3"), practical_weight=D("0.7"))
    # 0.3 × 81.25 + 0.7 × 77.15 = 24.375 + 54.005 = 78.38 (rounded half up once, from 78.380)
    assert rules.combine(rule, theory=D("81.25"), practical=D("77.15")).total == D("78.38")
    assert rules.scaled(D("67"), D("80")) == D("83.75")


def E(key, total, theory=0, practical=0):
    return rules.Entry(key, D(total), D(theory), D(practical))


def test_ranking_with_tie_breaks():
    entries = [E("A", 80, 70, 90), E("B", 80, 90, 70), E("C", 85), E("D", 80, 90, 70), E("E", 60)]
    ranked = rules.rank(entries, ["practical", "theory", "number"])
    assert [(e.key, r) for e, r in ranked] == [("C", 1), ("A", 2), ("B", 3), ("D", 3), ("E", 5)]
    theory_first = rules.rank(entries, ["theory", "practical"])
    assert [e.key for e, _r in theory_first][:2] == ["C", "B"]


def test_awards_never_split_a_tie_at_a_prize_boundary():
    # Ten candidates: first prize 10 % = 1 place, second 20 % = places 2-3, third 30 % = places 4-6.
    totals = [95, 90, 88, 88, 80, 79, 79, 70, 60, 50]
    ranked = rules.rank([E(f"K{i:02d}", t) for i, t in enumerate(totals)], ["number"])
    prizes = rules.awards(ranked)
    assert prizes["K00"] == 1
    assert prizes["K01"] == prizes["K02"] == prizes["K03"] == 2  # the 88s share place 3: both second prize
    assert prizes["K04"] == 3 and prizes["K05"] == prizes["K06"] == 3  # the 79s share place 6: both third
    assert "K07" not in prizes and "K09" not in prizes


def test_certificate_numbers_and_masking():
    n = rules.certificate_number(event_code="GD26", issued=datetime(2026, 6, 1, 2, tzinfo=UTC), zone=BEIJING,
                                 level="senior", serial=42)
    assert n.startswith("GD262026S00042") and rules.number_ok(n)
    assert not rules.number_ok(n[:-1] + ("0" if n[-1] != "0" else "1"))
    swapped = n[:4] + n[5] + n[4] + n[6:]
    assert swapped == n or not rules.number_ok(swapped)
    assert [rules.mask_name(x) for x in ("李四", "张小明", "欧阳小明")] == ["李*", "张*明", "欧**明"]


@pytest.mark.parametrize("bad", ["", "X", "12345"])
def test_malformed_numbers(bad):
    assert not rules.number_ok(bad)


def test_the_number_takes_the_year_of_the_platforms_time_zone():
    """Issue 17: 2026-12-31 17:00 UTC is 1 January 2027, 01:00, in Beijing: the number says 2027."""
    new_year_morning = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    n = rules.certificate_number(event_code="GD26", issued=new_year_morning, zone=BEIJING, level="senior", serial=7)
    assert n.startswith("GD262027S00007") and rules.number_ok(n)
    late_evening = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)  # 23:59 in Beijing: still 2026
    assert rules.certificate_number(event_code="GD26", issued=late_evening, zone=BEIJING, level="senior",
                                    serial=7).startswith("GD262026S")
    assert rules.certificate_number(event_code="GD26", issued=new_year_morning, zone=UTC, level="senior",
                                    serial=7).startswith("GD262026S")  # the zone decides, not the machine


def test_one_level_letter_table():
    """Issue 17: intermediate was "I" in the question bank and "M" in certificate numbers. One table
    now (question_bank.standard), which work contents, question codes and numbers all read."""
    assert standard.LEVEL_LETTER == {"junior": "J", "intermediate": "I", "senior": "S"}
    assert all(standard.level_of(code) == standard.LEVEL_OF_LETTER[code[0]] for code in standard.SKILL_ITEMS)
    issued = datetime(2026, 6, 1, 2, tzinfo=UTC)
    for level, letter in standard.LEVEL_LETTER.items():
        n = rules.certificate_number(event_code="GD26", issued=issued, zone=BEIJING, level=level, serial=1)
        assert n[:-1] == f"GD262026{letter}00001"
    # A number issued under the old letter still checks: nothing reads the letter back.
    old_body = "GD262026M00001"
    assert rules.number_ok(old_body + rules.check_character(old_body))
