"""The numeric type (数值题), numeric blanks in fill-in answers, and the pool in files."""

from xml.etree import ElementTree as ET

import pytest

from question_bank import qtypes, rules, services, transfer
from question_bank.models import Pool
from tests.question_bank.test_transfer import HEADERS, plan, xlsx

NUMERIC = qtypes.get("numeric")
FILL = qtypes.get("fill_blank")
PERCENT = {"value": 63.2, "tolerance": 0.05, "mode": "absolute", "unit": "%"}


@pytest.mark.parametrize("typed", ["63.2", "63.2%", "63.20", "６３.２", "63.2 %", " 63.24 ", "+63.2", "６３.２％"])
def test_what_the_issue_lists_matches_63_2_percent(typed):
    assert NUMERIC.check(typed, PERCENT).correct


@pytest.mark.parametrize("typed", ["63.3", "63", "63.2 MPa", "sixty", "", "63.2.1", "6" * 61, "nan", "inf"])
def test_a_wrong_value_or_unit_does_not(typed):
    assert not NUMERIC.check(typed, PERCENT).correct


def test_a_relative_tolerance_is_a_share_of_the_value():
    key = {"value": 447, "tolerance": 0.02, "mode": "relative", "unit": "ms"}
    assert NUMERIC.check("455.9 ms", key).correct and NUMERIC.check("438.1", key).correct
    assert not NUMERIC.check("456", key).correct  # 447 × 2 % = 8.94


@pytest.mark.parametrize("answer,code", [
    ({"value": 1, "mode": "absolute"}, "numeric_tolerance"),
    ({"value": 1, "tolerance": 0, "mode": "absolute"}, "numeric_tolerance"),
    ({"value": "1", "tolerance": 0.1, "mode": "absolute"}, "numeric_value"),
    ({"value": float("nan"), "tolerance": 0.1, "mode": "absolute"}, "numeric_value"),
    ({"value": 1e400, "tolerance": 0.1, "mode": "absolute"}, "numeric_value"),
    ({"value": True, "tolerance": 0.1, "mode": "absolute"}, "numeric_value"),
    ({"value": 1, "tolerance": 0.1, "mode": "roughly"}, "numeric_mode"),
    ({"value": 1, "tolerance": 0.1, "mode": "absolute", "unit": "x" * 13}, "numeric_unit"),
    ({"value": 1, "tolerance": 0.1, "mode": "absolute", "colour": "red"}, "numeric_spec"),
    ("1 ± 0.1", "numeric_spec"),
])
def test_a_numeric_answer_needs_a_tolerance_and_well_formed_parts(question_data, answer, code):
    q = {**question_data["numeric"], "answer": answer}
    assert code in {p.code for p in rules.validate(q)}


def test_a_numeric_stem_has_no_blank(question_data):
    q = {**question_data["numeric"], "stem": "输出达到终值的 ____ %"}
    assert "numeric_blank_in_stem" in {p.code for p in rules.validate(q)}


@pytest.mark.parametrize("cell,spec", [
    ("0.8 ± 0.01 MPa", {"value": 0.8, "tolerance": 0.01, "mode": "absolute", "unit": "MPa"}),
    ("447 ± 2% ms", {"value": 447, "tolerance": 0.02, "mode": "relative", "unit": "ms"}),
    ("98 ± 0.05 %", {"value": 98, "tolerance": 0.05, "mode": "absolute", "unit": "%"}),
    ("０.８ +/- ０.０１", {"value": 0.8, "tolerance": 0.01, "mode": "absolute"}),
    ("-5 ± 1 ℃", {"value": -5, "tolerance": 1, "mode": "absolute", "unit": "℃"}),
])
def test_the_excel_syntax_reads_and_writes_back(cell, spec):
    assert transfer.parse_key("numeric", cell) == spec
    assert transfer.parse_key("numeric", NUMERIC.excel_cell(spec)) == spec


def test_an_unreadable_cell_is_reported_not_guessed(db):
    row = {"type": "数值", "module": 4, "level": "中级", "difficulty": 3, "stem": "压力是多少？",
           "answer": "about 0.8", "explanation": "按线性换算得出压力约为 0.8 MPa。"}
    bad = plan(db, xlsx([row])).rows[0]
    assert bad.problems and "0.8 ± 0.01 MPa" in " ".join(bad.problems)


def test_a_numeric_question_survives_excel_json_and_is_a_moodle_numerical(db, question_data):
    key = {"value": 447, "tolerance": 0.02, "mode": "relative", "unit": "ms"}
    relative = {**question_data["numeric"], "answer": key}
    question = services.create_question(db.session, data=relative, actor=None)
    db.session.commit()
    row = transfer.read_xlsx(transfer.template_bytes([question])).rows[0]
    assert row.ok and row.data["answer"] == relative["answer"] and row.data["type"] == "numeric"
    assert transfer.read_json(transfer.json_bytes([question])).rows[0].data["answer"] == relative["answer"]
    q = [e for e in ET.fromstring(transfer.moodle_xml_bytes([question])) if e.get("type") == "numerical"][0]
    answer = q.find("answer")
    assert answer.get("fraction") == "100" and answer.findtext("text") == "447"
    assert answer.findtext("tolerance") == "8.94"  # Moodle's tolerance is absolute: 2 % of 447
    assert q.findtext("units/unit/unit_name") == "ms" and q.findtext("showunits") == "0"


def test_without_a_unit_moodle_hides_units(db, question_data):
    data = {**question_data["numeric"], "answer": {"value": 12, "tolerance": 0.5, "mode": "absolute"}}
    question = services.create_question(db.session, data=data, actor=None)
    q = [e for e in ET.fromstring(transfer.moodle_xml_bytes([question])) if e.get("type") == "numerical"][0]
    assert q.find("units") is None and q.findtext("showunits") == "3"


# --- numeric blanks in fill-in answers ---------------------------------------------------------

BLANKS = [["IEC 62443", "62443"], {"value": 15, "tolerance": 0.5, "mode": "absolute", "unit": "K"}]


def test_a_fill_in_blank_may_be_a_number_with_a_tolerance(question_data):
    q = {**question_data["fill_blank"], "answer": BLANKS}
    assert rules.validate(q) == []
    assert FILL.check(["62443", "15.4 K"], BLANKS).correct and FILL.check(["iec 62443", "１５"], BLANKS).correct
    assert not FILL.check(["62443", "16"], BLANKS).correct and not FILL.check(["62443", "15 ℃"], BLANKS).correct
    no_tolerance = {**question_data["fill_blank"], "answer": [BLANKS[0], {"value": 15, "mode": "absolute"}]}
    assert "numeric_tolerance" in {p.code for p in rules.validate(no_tolerance)}


def test_alternatives_are_compared_as_numbers_with_their_unit():
    key = [["63.2%", "63.2"]]
    for typed in ("63.20%", "６３.２", "63.2 %"):
        assert FILL.check([typed], key).correct, typed
    assert not FILL.check(["63.2 ms"], key).correct


def test_numeric_blanks_in_excel_and_moodle_cloze(db, question_data):
    assert transfer.parse_key("fill_blank", "IEC 62443 | 62443; 15 ± 0.5 K") == BLANKS
    assert transfer.parse_key("fill_blank", FILL.excel_cell(BLANKS)) == BLANKS
    question = services.create_question(db.session, data={**question_data["fill_blank"], "answer": BLANKS}, actor=None)
    q = [e for e in ET.fromstring(transfer.moodle_xml_bytes([question])) if e.get("type") == "cloze"][0]
    text = q.findtext("questiontext/text")
    assert "{1:SHORTANSWER:=IEC 62443~=62443}" in text and "{1:NUMERICAL:=15:0.5}" in text


def test_the_strict_authoring_check_flags_a_number_given_as_text():
    q = {"type": "fill_blank", "answer": [["4840"], ["opc.tcp"]]}
    assert FILL.authoring_problems(q, strict=True) == [
        "answer: blank 1 is a number: give it as {value, tolerance, mode, unit}"]
    assert FILL.authoring_problems(q, strict=False) == []


# --- the pool in files -------------------------------------------------------------------------


def test_the_pool_goes_out_and_back_in_excel_and_json(db, question_data):
    question = services.create_question(db.session, data={**question_data["single"], "pool": "practice"}, actor=None)
    db.session.commit()
    assert question.pool is Pool.PRACTICE
    row = transfer.read_xlsx(transfer.template_bytes([question])).rows[0]
    assert row.data["pool"] == "practice"
    assert transfer.read_json(transfer.json_bytes([question])).rows[0].data["pool"] == "practice"
    services.revise_question(db.session, question=question, data={**question_data["single"], "pool": "exam"},
                             actor=None)
    assert question.pool is Pool.EXAM
    services.revise_question(db.session, question=question, data=question_data["single"], actor=None)
    assert question.pool is Pool.EXAM  # a file without the column leaves it


def test_an_unknown_pool_is_refused_with_its_column(db):
    row = {"type": "判断", "module": 5, "level": "初级", "difficulty": 1, "stem": "上锁挂牌可以防止设备被意外通电。",
           "answer": "对", "explanation": "上锁挂牌可防止设备被意外通电。", "pool": "homework"}
    bad = plan(db, xlsx([row])).rows[0]
    text = " ".join(bad.problems)
    assert "用途" in text and "homework" in text


def test_headers_still_include_pool_and_work():
    assert any(h.startswith("用途") for h in HEADERS) and any(h.startswith("工作内容") for h in HEADERS)
