"""True/false (判断): the key is true or false; no options."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from question_bank.qtypes.base import N_, FieldSpec, Kind, Outcome, Problem, moodle_text

TRUE_WORDS = {"对", "正确", "true", "t", "√", "是", "1", "yes"}
FALSE_WORDS = {"错", "错误", "false", "f", "×", "否", "0", "no"}


class TrueFalse(Kind):
    code = "true_false"
    order = 30
    label = N_("True/false")
    label_zh = "判断"
    words = ("判断题", "truefalse")
    key_syntax = "对/错"
    excel_help = "判断 对 / 错"
    template = "question_types/true_false.html"
    collector = "one"
    json_values = True
    messages = {"answer_true_false": N_("The answer of a true/false question is true or false (对 or 错).")}
    fields = (FieldSpec("tf_answer", "select", N_("Answer"),
                        choices=(("true", N_("True")), ("false", N_("False")))),)
    example = {
        "type": "true_false", "module": 2, "level": "junior", "difficulty": 1,
        "stem": "OPC UA 只能在 Windows 系统上运行。", "stem_en": "OPC UA runs only on Windows.",
        "options": [], "answer": False, "explanation": "OPC UA 与平台无关。",
        "explanation_en": "OPC UA is platform independent.", "tags": [],
    }

    def validate_answer(self, answer, keys):
        return [] if isinstance(answer, bool) else [Problem("answer", "answer_true_false")]

    def check(self, response, key) -> Outcome:
        return Outcome(isinstance(response, bool) and response is key)

    def response_problem(self, response, *, option_keys, key):
        if response is None:
            return None
        return None if isinstance(response, bool) else "not_true_false"

    def format_key(self, answer, translate=None) -> str:
        word = N_("True") if answer is True else N_("False") if answer is False else str(answer)
        return translate(word) if translate else word

    def format_response(self, response, translate=None) -> str:
        return self.format_key(response, translate)

    def excel_cell(self, answer) -> str:
        return "对" if answer else "错"

    def parse_cell(self, raw: str):
        word = raw.casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        return raw

    def moodle_type(self, answer) -> str:
        return "truefalse"

    def moodle_answers(self, q, options, answer, html):
        for word in ("true", "false"):
            el = ET.SubElement(q, "answer", {"fraction": "100" if (word == "true") == answer else "0",
                                             "format": "moodle_auto_format"})
            ET.SubElement(el, "text").text = word
            moodle_text(el, "feedback", "")

    def answer_from_form(self, values):
        return [], values.get("tf_answer") == "true"

    def form_data(self, options, answer):
        return {"tf_answer": "true" if answer else "false"}

    def cues(self, questions):
        if not questions:
            return []
        true = sum(1 for q in questions if q.get("answer") is True)
        return [f"true/false: {true} true of {len(questions)}"]


KIND = TrueFalse()
