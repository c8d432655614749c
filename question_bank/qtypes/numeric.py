"""Numeric (数值): one value with a tolerance, absolute or relative to the value, and an optional
unit: {"value": 0.8, "tolerance": 0.01, "mode": "absolute", "unit": "MPa"}. The answer is typed
with its unit or without one; "63.2", "63.2%", "63.20" and "６３.２" all match 63.2 %. The exam
prints the unit after the input, never the value."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree as ET

from question_bank.qtypes.base import (
    BLANK,
    MAX_NUMERIC,
    N_,
    FieldSpec,
    Kind,
    Outcome,
    Problem,
    format_number,
    format_spec,
    json_number,
    moodle_text,
    numeric_match,
    numeric_spec_problems,
    parse_number,
    parse_spec,
    to_decimal,
)

SPEC_MESSAGES = {
    "numeric_spec": N_("A numeric answer is a value, a tolerance, absolute or relative, and an "
                       "optional unit, e.g. 0.8 ± 0.01 MPa or 447 ± 2% ms."),
    "numeric_value": N_("The value of a numeric answer must be a number."),
    "numeric_tolerance": N_("A numeric answer needs a tolerance above 0 (a number)."),
    "numeric_mode": N_("The tolerance is absolute (± an amount) or relative (± a per cent of the value)."),
    "numeric_unit": N_("The unit is short text: at most 12 characters."),
}


class Numeric(Kind):
    code = "numeric"
    order = 50
    label = N_("Numeric")
    label_zh = "数值"
    words = ("数值题", "numerical", "number")
    key_syntax = "0.8 ± 0.01 MPa"
    excel_help = "数值 值 ± 容差 单位，如 0.8 ± 0.01 MPa；相对容差写百分号，如 447 ± 2% ms"
    template = "question_types/numeric.html"
    collector = "text"
    max_response = MAX_NUMERIC
    messages = {**SPEC_MESSAGES,
                "numeric_blank_in_stem": N_("A numeric question asks for one value: leave ____ out of its stem.")}
    fields = (
        FieldSpec("numeric_value", "text", N_("Value"), max_length=30),
        FieldSpec("numeric_tolerance", "text", N_("Tolerance"), max_length=30,
                  description=N_("Relative: a per cent of the value, e.g. 2 for ± 2 %.")),
        FieldSpec("numeric_mode", "select", N_("Tolerance is"),
                  choices=(("absolute", N_("± this amount")), ("relative", N_("± this per cent of the value")))),
        FieldSpec("numeric_unit", "text", N_("Unit"), max_length=12,
                  description=N_("Optional; shown after the answer box. The answer may be typed with it or without.")),
    )
    example = {
        "type": "numeric", "module": 4, "level": "intermediate", "difficulty": 3,
        "stem": "量程 0–1.6 MPa 的压力变送器输出 4–20 mA，读数为 12 mA 时压力是多少？",
        "stem_en": "A 0–1.6 MPa pressure transmitter outputs 4–20 mA. What is the pressure at 12 mA?",
        "options": [], "answer": {"value": 0.8, "tolerance": 0.01, "mode": "absolute", "unit": "MPa"},
        "explanation": "(12 − 4) / 16 × 1.6 = 0.8 MPa。", "explanation_en": "(12 − 4) / 16 × 1.6 = 0.8 MPa.",
        "tags": ["4-20mA"],
    }

    def validate_answer(self, answer, keys):
        return numeric_spec_problems(answer)

    def validate_stem(self, stem, answer):
        return [Problem("stem", "numeric_blank_in_stem")] if BLANK.search(stem) else []

    def check(self, response, key) -> Outcome:
        return Outcome(numeric_match(response, key))

    def response_problem(self, response, *, option_keys, key):
        # Text that is not a number is kept and marked wrong, not refused: a refusal would drop it.
        if response is None:
            return None
        return None if isinstance(response, str) and len(response) <= MAX_NUMERIC else "not_text"

    def example_response(self, key):
        return format_number(key["value"]) + (key.get("unit") or "")

    def public(self, answer) -> dict:
        return {"unit": answer.get("unit") if isinstance(answer, dict) else None}

    def format_key(self, answer, translate=None) -> str:
        return format_spec(answer) if isinstance(answer, dict) and not numeric_spec_problems(answer) else str(answer)

    def format_response(self, response, translate=None) -> str:
        return str(response)

    def choices_of(self, response):
        parsed = parse_number(response) if isinstance(response, str) else None
        return (format_number(parsed[0]) + (" " + parsed[1] if parsed[1] else ""),) if parsed else ()

    def choice_is_key(self, choice, answer):
        return numeric_match(choice, answer)

    def parse_cell(self, raw: str):
        return parse_spec(raw)

    def moodle_type(self, answer) -> str:
        return "numerical"

    def moodle_answers(self, q, options, answer, html):
        # Moodle's tolerance is absolute: a relative one is exported as its share of the value.
        value, tolerance = to_decimal(answer["value"]), to_decimal(answer["tolerance"])
        if answer.get("mode") == "relative":
            tolerance = tolerance * abs(value)
        el = ET.SubElement(q, "answer", {"fraction": "100", "format": "moodle_auto_format"})
        ET.SubElement(el, "text").text = format_number(value)
        ET.SubElement(el, "tolerance").text = format_number(tolerance)
        moodle_text(el, "feedback", "", html=True)
        if answer.get("unit"):
            units = ET.SubElement(q, "units")
            unit = ET.SubElement(units, "unit")
            ET.SubElement(unit, "multiplier").text = "1"
            ET.SubElement(unit, "unit_name").text = answer["unit"]
        ET.SubElement(q, "unitgradingtype").text = "0"
        ET.SubElement(q, "unitpenalty").text = "0"
        ET.SubElement(q, "showunits").text = "0" if answer.get("unit") else "3"
        ET.SubElement(q, "unitsleft").text = "0"

    def answer_from_form(self, values):
        def number(name):
            raw = (values.get(name) or "").strip()
            parsed = parse_number(raw) if raw else None
            return json_number(parsed[0]) if parsed and not parsed[1] else (raw or None)

        mode = values.get("numeric_mode") or "absolute"
        tolerance = number("numeric_tolerance")
        if mode == "relative" and isinstance(tolerance, (int, float)):
            tolerance = json_number(Decimal(str(tolerance)) / 100)
        answer = {"value": number("numeric_value"), "tolerance": tolerance, "mode": mode}
        unit = (values.get("numeric_unit") or "").strip()
        if unit:
            answer["unit"] = unit
        return [], answer

    def form_data(self, options, answer):
        if not isinstance(answer, dict):
            return {}
        tolerance = answer.get("tolerance")
        if answer.get("mode") == "relative" and tolerance is not None:
            tolerance = to_decimal(tolerance) * 100
        return {"numeric_value": format_number(answer["value"]), "numeric_mode": answer.get("mode", "absolute"),
                "numeric_tolerance": format_number(tolerance) if tolerance is not None else "",
                "numeric_unit": answer.get("unit") or ""}


KIND = Numeric()
