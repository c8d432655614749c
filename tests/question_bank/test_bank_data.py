"""The shipped bank (question_bank/data/bank.json), loaded by the demo loader: an exam pool of 800+
and a practice pool of 150+ questions, every one well formed, bilingual, coded with the work content
it tests, free of the test-wise cues issue 16 names, and graded right for every answer it lists."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from question_bank import checkfile, qtypes, rules
from question_bank.models import Question
from question_bank.qtypes.base import KEY_COUNT_SHARE, LONGEST_KEY_SHARE, format_number, to_decimal
from question_bank.services import coverage
from question_bank.standard import MIN_EXAM_ITEMS, SKILL_ITEMS, level_of
from question_bank.wording import has_english

BANK = Path(__file__).resolve().parents[2] / "question_bank" / "data" / "bank.json"


@pytest.fixture(scope="module")
def bank():
    with BANK.open(encoding="utf-8") as f:
        return json.load(f)["questions"]


def exam_pool(bank):
    return [q for q in bank if q.get("pool") in ("exam", "both")]


def test_size_and_spread(bank):
    assert len(exam_pool(bank)) >= 800
    assert sum(1 for q in bank if q.get("pool") == "practice") >= 150  # written for practice
    cells = Counter((q["module"], q["level"]) for q in exam_pool(bank))
    assert {(m, lv) for m in rules.MODULES for lv in ("junior", "intermediate", "senior")} == set(cells)
    assert min(cells.values()) >= 20
    assert {q["type"] for q in bank} == set(qtypes.codes())
    assert len({q["code"] for q in bank}) == len(bank)


def test_every_question_is_well_formed_by_the_strict_authoring_rules(bank):
    problems = {q["code"]: checkfile.problems_of(q, strict=True) for q in bank}
    assert {code: p for code, p in problems.items() if p} == {}


def test_every_question_is_in_chinese_and_english(bank):
    missing = [q["code"] for q in bank if not (has_english(q.get("stem_en"), q.get("options"))
                                               and (q.get("explanation_en") or "").strip())]
    assert missing == []


def test_every_skill_item_has_enough_exam_questions_at_its_level(bank):
    counts = Counter(q["work"] for q in exam_pool(bank))
    assert {item: counts[item] for item in SKILL_ITEMS if counts[item] < MIN_EXAM_ITEMS} == {}
    assert all(level_of(q["work"]) in (None, q["level"]) for q in bank)


def test_the_test_wise_cues_stay_under_their_limits(bank):
    pool = exam_pool(bank)
    singles = [q for q in pool if q["type"] == "single"]
    longest = 0
    for q in singles:
        lengths = [len(o["text"]) for o in q["options"]]
        key = lengths["ABCDEF".index(q["answer"])]
        longest += key == max(lengths) and lengths.count(key) == 1
    assert longest / len(singles) <= LONGEST_KEY_SHARE
    multiples = [q for q in pool if q["type"] == "multiple"]
    counts = Counter(len(q["answer"]) for q in multiples)
    assert max(counts.values()) / len(multiples) <= KEY_COUNT_SHARE and len(counts) >= 3
    all_but_one = sum(1 for q in multiples if len(q["answer"]) == len(q["options"]) - 1)
    assert all_but_one / len(multiples) <= KEY_COUNT_SHARE
    tfs = [q for q in pool if q["type"] == "true_false"]
    assert 0.4 <= sum(q["answer"] is True for q in tfs) / len(tfs) <= 0.6


def _typings(blank) -> list[str]:
    """Every way the bank says a blank may be answered: each listed alternative, or for a number
    its value (alone, with its unit, at the tolerance's edge)."""
    if isinstance(blank, list):
        return blank
    value, tolerance = to_decimal(blank["value"]), to_decimal(blank["tolerance"])
    edge = tolerance * abs(value) if blank["mode"] == "relative" else tolerance
    unit = blank.get("unit") or ""
    return [format_number(value), format_number(value) + unit, format_number(value + edge) + " " + unit]


def _wrong(blank) -> str:
    if isinstance(blank, list):
        return "（空）"
    value, tolerance = to_decimal(blank["value"]), to_decimal(blank["tolerance"])
    edge = tolerance * abs(value) if blank["mode"] == "relative" else tolerance
    return format_number(value + 3 * edge)


def test_every_answer_the_bank_lists_is_graded_right(bank):
    checked = 0
    for q in bank:
        kind = qtypes.get(q["type"])
        if q["type"] == "numeric":
            for typed in _typings(q["answer"]):
                assert kind.check(typed, q["answer"]).correct, (q["code"], typed)
                checked += 1
            assert not kind.check(_wrong(q["answer"]), q["answer"]).correct, q["code"]
        elif q["type"] == "fill_blank":
            base = kind.example_response(q["answer"])
            for i, blank in enumerate(q["answer"]):
                for typed in _typings(blank):
                    assert kind.check([*base[:i], typed, *base[i + 1:]], q["answer"]).correct, (q["code"], typed)
                    checked += 1
                assert not kind.check([*base[:i], _wrong(blank), *base[i + 1:]], q["answer"]).correct, q["code"]
    assert checked >= 300


def test_choice_keys_and_explanations(bank):
    for q in bank:
        keys = [o["key"] for o in q.get("options", [])]
        if q["type"] == "single":
            assert isinstance(q["answer"], str) and q["answer"] in keys, q["code"]
        if q["type"] == "multiple":
            assert 2 <= len(q["answer"]) < len(keys) + 1 and set(q["answer"]) <= set(keys), q["code"]
        if q["type"] == "fill_blank":
            assert len(re.findall(r"_{3,}", q["stem"])) == len(q["answer"]), q["code"]
        assert len(q["explanation"].strip()) >= 10, q["code"]
        if q.get("stem_en"):
            assert q.get("explanation_en"), q["code"]


def test_correct_letters_are_spread(bank):
    letters = Counter(q["answer"] for q in bank if q["type"] == "single")
    assert min(letters[k] for k in "ABCD") >= 0.15 * sum(letters.values())


def test_no_near_duplicate_stems(bank):
    index = rules.StemIndex()
    duplicates = []
    for q in bank:
        found = index.similar(q["stem"])
        if found:
            duplicates.append((q["code"], found))
        index.add(q["code"], q["stem"])
    assert duplicates == []


def test_demo_loader_fills_every_coverage_cell(runner, db):
    result = runner.invoke(args=["core", "load-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Question)) >= 500
    counts = coverage(db.session)
    for module in rules.MODULES:
        for level in ("junior", "intermediate", "senior"):
            assert sum(n for (m, lv, _t), n in counts.items() if m == module and lv == level) > 0
    again = runner.invoke(args=["core", "load-demo"])
    assert "question bank already loaded" in again.output
