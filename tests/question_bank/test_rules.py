import copy

import pytest

from question_bank import rules
from tests.question_bank.conftest import SAMPLES


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_samples_are_well_formed(kind):
    assert rules.validate(SAMPLES[kind]) == []


def codes(q):
    return {(p.field, p.code) for p in rules.validate(q)}


def test_single_choice_needs_one_answer_among_the_options():
    q = copy.deepcopy(SAMPLES["single"])
    q["answer"] = "E"
    assert ("answer", "answer_not_an_option") in codes(q)
    q["answer"] = ["A", "B"]
    assert ("answer", "required") in codes(q)


def test_multiple_choice_rules():
    q = copy.deepcopy(SAMPLES["multiple"])
    q["answer"] = ["A"]
    assert ("answer", "multiple_needs_two") in codes(q)
    q["answer"] = ["D", "A"]
    assert ("answer", "answer_not_sorted") in codes(q)
    q["answer"] = ["A", "Z"]
    assert ("answer", "answer_not_an_option") in codes(q)


def test_options_must_be_in_order_and_distinct():
    q = copy.deepcopy(SAMPLES["single"])
    q["options"][2]["key"] = "E"
    assert ("options", "option_key_order") in codes(q)
    q = copy.deepcopy(SAMPLES["single"])
    q["options"][1]["text"] = q["options"][0]["text"]
    assert ("options", "duplicate_options") in codes(q)


def test_true_false_and_fill_rules():
    q = copy.deepcopy(SAMPLES["true_false"])
    q["answer"] = "对"
    assert ("answer", "answer_true_false") in codes(q)
    q["options"] = [{"key": "A", "text": "x"}]
    assert ("options", "options_not_allowed") in codes(q)
    q = copy.deepcopy(SAMPLES["fill_blank"])
    q["answer"] = [["4840"]]
    assert ("answer", "blank_count") in codes(q)


def test_field_limits_and_required_texts():
    q = copy.deepcopy(SAMPLES["single"])
    q.update(stem="", explanation=None, difficulty=6, module=7, level="expert", type="essay")
    assert codes(q) == {("type", "bad_type")}
    q["type"] = "single"
    assert {("stem", "required"), ("explanation", "required"), ("difficulty", "bad_difficulty"),
            ("module", "bad_module"), ("level", "bad_level")} <= codes(q)
    q = copy.deepcopy(SAMPLES["single"])
    q["stem"] = "长" * (rules.MAX_STEM + 1)
    assert ("stem", "too_long") in codes(q)


def test_english_stem_needs_english_options():
    q = copy.deepcopy(SAMPLES["single"])
    q["options"][0]["text_en"] = None
    assert ("options", "english_options_missing") in codes(q)


def test_answer_checks():
    assert rules.check("single", "B", "B").correct
    assert not rules.check("single", "A", "B").correct
    assert rules.check("multiple", ["A", "B", "D"], ["A", "B", "D"]).correct
    partial = rules.check("multiple", ["A", "D"], ["A", "B", "D"])
    assert not partial.correct and partial.partial
    wrong = rules.check("multiple", ["A", "C"], ["A", "B", "D"])
    assert not wrong.correct and not wrong.partial
    assert not rules.check("multiple", [], ["A", "B"]).partial
    assert rules.check("true_false", False, False).correct
    assert not rules.check("true_false", "false", False).correct
    # Fill-in: full-width characters, case and spaces do not matter; every blank must match.
    assert rules.check("fill_blank", ["４８４０", " 8883 "], [["4840"], ["8883"]]).correct
    assert rules.check("fill_blank", ["opc ua"], [["OPC UA", "OPCUA"]]).correct
    assert not rules.check("fill_blank", ["4840"], [["4840"], ["8883"]]).correct


def test_near_duplicate_stems():
    a = "MQTT 协议未加密连接的默认端口是哪一个？"
    assert rules.similarity(a, "MQTT协议未加密连接的默认端口是哪个？") >= rules.NEAR_DUPLICATE
    assert rules.similarity(a, "PLC 的扫描周期包括哪几个阶段？") < 0.3
    index = rules.StemIndex()
    index.add("Q1", a)
    index.add("Q2", "PLC 的扫描周期包括哪几个阶段？")
    assert [k for k, _ in index.similar("MQTT 协议未加密连接的默认端口是哪一个?")] == ["Q1"]
    assert index.similar(a, exclude="Q1") == []


def test_fill_in_numbers_are_compared_as_numbers_with_their_unit():
    """Issue 16: an exact string match gave 0 to "63.20", "10.0" and "６３.２%" for 63.2 % and 10."""
    key = [["63.2%", "63.2"]]
    for typed in ("63.2", "63.2%", "63.20", "６３.２", "６３．２％", " 63.2 % "):
        assert rules.check("fill_blank", [typed], key).correct, typed
    for typed in ("63.3", "63.2kg", "632", "", "63..2", "NaN", "1e9999"):
        assert not rules.check("fill_blank", [typed], key).correct, typed
    assert rules.check("fill_blank", ["10.0"], [["10"]]).correct
    assert rules.check("fill_blank", ["1,000"], [["1000"]]).correct
    assert not rules.check("fill_blank", ["10 ms"], [["10 s"]]).correct  # a number with the wrong unit
    assert rules.check("fill_blank", ["OPC UA"], [["opc ua"]]).correct  # text still matches as text


def test_a_numeric_answer_within_its_tolerance_and_with_its_unit():
    spec = {"value": 63.2, "tolerance": 0.05, "mode": "absolute", "unit": "%"}
    for typed in ("63.2", "63.2%", "63.20", "６３.２", "63.24", "63.16 %"):
        assert rules.numeric_match(typed, spec), typed
    for typed in ("63.3", "63.2 ℃", "abc", "", None, 63.2, "9" * 100):
        assert not rules.numeric_match(typed, spec), typed
    relative = {"value": 200000, "tolerance": 0.01, "mode": "relative", "unit": "点"}
    assert rules.numeric_match("201,500", relative) and not rules.numeric_match("202500", relative)
    assert rules.numeric_match("-4", {"value": -4, "tolerance": 0, "mode": "absolute"})
