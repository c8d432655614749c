"""The shipped bank: 500+ well-formed questions over every module and level, loaded by the demo loader."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from question_bank import rules
from question_bank.models import Question
from question_bank.services import coverage

BANK = Path(__file__).resolve().parents[2] / "question_bank" / "data" / "bank.json"


@pytest.fixture(scope="module")
def bank():
    with BANK.open(encoding="utf-8") as f:
        return json.load(f)["questions"]


def test_size_and_spread(bank):
    assert len(bank) >= 500
    cells = Counter((q["module"], q["level"]) for q in bank)
    assert {(m, lv) for m in rules.MODULES for lv in ("junior", "intermediate", "senior")} == set(cells)
    assert min(cells.values()) >= 20
    assert {q["type"] for q in bank} == {"single", "multiple", "true_false", "fill_blank"}
    assert sum(1 for q in bank if q.get("stem_en")) >= 150
    assert len({q["code"] for q in bank}) == len(bank)


def test_every_question_is_well_formed(bank):
    problems = {q["code"]: rules.validate(q) for q in bank}
    assert {code: p for code, p in problems.items() if p} == {}


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
