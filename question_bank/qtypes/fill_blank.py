"""Fill in the blank (填空): one ____ in the stem per blank; each blank's key is a list of accepted
alternatives (synonyms, Chinese and English terms, with and without a unit), compared as text or,
when both are numbers, as numbers; or a numeric answer {value, tolerance, mode, unit} when the blank
asks for a measured or computed value."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from question_bank.qtypes.base import (
    BLANK,
    MAX_OPTION,
    N_,
    FieldSpec,
    Kind,
    Outcome,
    Problem,
    format_number,
    format_spec,
    moodle_text,
    normalise_text,
    numeric_match,
    numeric_spec_problems,
    parse_spec,
    same_answer,
    to_decimal,
)

_SPLIT = re.compile(r"[;；\n]")


def _is_spec(blank) -> bool:
    return isinstance(blank, dict)


def _looks_numeric(text: str) -> bool:
    try:
        float(normalise_text(text).rstrip("%"))
    except ValueError:
        return False
    return True


class FillBlank(Kind):
    code = "fill_blank"
    order = 40
    label = N_("Fill in the blank")
    label_zh = "填空"
    words = ("填空题", "fill")
    key_syntax = "a | b; c"
    excel_help = ("填空 每个空之间用分号 ; 分隔，同一空的多个可接受答案用竖线 | 分隔，题干中每个空写作 ____；"
                  "数值空写作 值 ± 容差 单位，如 15 ± 0.5 K")
    template = "question_types/fill_blank.html"
    collector = "list"
    messages = {
        "answer_blank_empty": N_("Every blank needs at least one accepted answer."),
        "blank_count": N_("The stem has %(blanks)s blank(s) (____) but %(answers)s answer(s) are given."),
    }
    fields = (FieldSpec(
        "fill_answer", "textarea", N_("Accepted answers"), max_length=2000,
        description=N_("One line per blank; several accepted answers for one blank are separated by |. "
                       "A blank that asks for a number: value ± tolerance unit, e.g. 15 ± 0.5 K.")),)
    example = {
        "type": "fill_blank", "module": 1, "level": "junior", "difficulty": 2,
        "stem": "MQTT over TLS 常用端口是 ____。", "stem_en": "MQTT over TLS usually uses port ____.",
        "options": [], "answer": [["8883"]], "explanation": "TLS 连接常用 8883。",
        "explanation_en": "MQTT over TLS usually uses 8883.", "tags": [],
    }

    def validate_answer(self, answer, keys):
        if not isinstance(answer, list) or not answer:
            return [Problem("answer", "required")]
        for blank in answer:
            if _is_spec(blank):
                problems = numeric_spec_problems(blank)
                if problems:
                    return problems
                continue
            if (not isinstance(blank, list) or not blank
                    or not all(isinstance(a, str) and a.strip() for a in blank)):
                return [Problem("answer", "answer_blank_empty")]
            if any(len(a) > MAX_OPTION for a in blank):
                return [Problem("answer", "too_long", {"max": MAX_OPTION})]
        return []

    def validate_stem(self, stem, answer):
        blanks = len(BLANK.findall(stem))
        answers = answer if isinstance(answer, list) else []
        if blanks != len(answers):
            return [Problem("answer", "blank_count", {"blanks": blanks, "answers": len(answers)})]
        return []

    def check(self, response, key) -> Outcome:
        if not isinstance(response, list) or len(response) != len(key):
            return Outcome(False)
        return Outcome(all(
            isinstance(given, str) and len(given) <= MAX_OPTION and (
                numeric_match(given, accepted) if _is_spec(accepted)
                else any(same_answer(given, a) for a in accepted))
            for given, accepted in zip(response, key, strict=True)
        ))

    def response_problem(self, response, *, option_keys, key):
        if response is None:
            return None
        if (not isinstance(response, list) or len(response) != len(key)
                or not all(isinstance(r, str) and len(r) <= self.max_response for r in response)):
            return "bad_blanks"
        return None

    def example_response(self, key):
        return [format_number(b["value"]) + (b.get("unit") or "") if _is_spec(b) else b[0] for b in key]

    def public(self, answer) -> dict:
        return {"blanks": len(answer) if isinstance(answer, list) else 0}

    def _blank_text(self, blank) -> str:
        return format_spec(blank) if _is_spec(blank) else " | ".join(blank)

    def format_key(self, answer, translate=None) -> str:
        if not isinstance(answer, list):
            return str(answer)
        return "; ".join(self._blank_text(b) for b in answer)

    def format_response(self, response, translate=None) -> str:
        return "; ".join(map(str, response)) if isinstance(response, list) else str(response)

    def key_blanks(self, answer) -> list[str]:
        """Each blank's key as the review page shows it."""
        return [self._blank_text(b) for b in answer] if isinstance(answer, list) else []

    def parse_cell(self, raw: str):
        if not raw:
            return []
        blanks = []
        for text in _SPLIT.split(raw):
            if not text.strip():
                continue
            spec = parse_spec(text) if "±" in text or "+/-" in text or "+-" in text else None
            blanks.append(spec if isinstance(spec, dict)
                          else [alt.strip() for alt in text.split("|") if alt.strip()])
        return blanks

    def moodle_type(self, answer) -> str:
        return "shortanswer" if len(answer) == 1 and not _is_spec(answer[0]) else "cloze"

    def moodle_questiontext(self, html, answer):
        if self.moodle_type(answer) != "cloze":
            return html
        for blank in answer:
            if _is_spec(blank):
                value, tolerance = to_decimal(blank["value"]), to_decimal(blank["tolerance"])
                if blank.get("mode") == "relative":
                    tolerance = tolerance * abs(value)
                part = "{1:NUMERICAL:=" + format_number(value) + ":" + format_number(tolerance) + "}"
            else:
                part = "{1:SHORTANSWER:" + "~".join("=" + re.sub(r"[{}~=#:]", "", a) for a in blank) + "}"
            html = BLANK.sub(lambda _m, part=part: part, html, count=1)
        return html

    def moodle_answers(self, q, options, answer, html):
        if self.moodle_type(answer) != "shortanswer":
            return
        ET.SubElement(q, "usecase").text = "0"
        for accepted in answer[0]:
            el = ET.SubElement(q, "answer", {"fraction": "100", "format": "moodle_auto_format"})
            ET.SubElement(el, "text").text = accepted
            moodle_text(el, "feedback", "")

    def answer_from_form(self, values):
        return [], self.parse_cell("\n".join(
            line for line in (values.get("fill_answer") or "").splitlines() if line.strip()))

    def form_data(self, options, answer):
        return {"fill_answer": "\n".join(self._blank_text(b) for b in answer)}

    def authoring_problems(self, q, strict):
        if not strict or not isinstance(q.get("answer"), list):
            return []
        return [f"answer: blank {i} is a number: give it as {{value, tolerance, mode, unit}}"
                for i, blank in enumerate(q["answer"], 1)
                if isinstance(blank, list) and blank and all(isinstance(a, str) and _looks_numeric(a) for a in blank)]


KIND = FillBlank()
