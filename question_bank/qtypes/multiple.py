"""Multiple choice (多选): options A.., two or more keys ["A", "C"]; a correct subset may earn
partial credit when the exam says so."""

from __future__ import annotations

from collections import Counter
from xml.etree import ElementTree as ET

from question_bank.qtypes.base import KEY_COUNT_SHARE, N_, ChoiceKind, Outcome, Problem, moodle_text

_MOODLE_FRACTIONS = {1: "100", 2: "50", 3: "33.33333", 4: "25", 5: "20", 6: "16.66667"}


class MultipleChoice(ChoiceKind):
    code = "multiple"
    order = 20
    label = N_("Multiple choice")
    label_zh = "多选"
    words = ("多选题", "多项选择", "多项选择题")
    key_syntax = "ACD"
    excel_help = "多选 ACD"
    input_type = "checkbox"
    collector = "many"
    min_options = 3
    example = {
        "type": "multiple", "module": 5, "level": "intermediate", "difficulty": 3,
        "stem": "下列哪些措施能降低工业现场网络被横向渗透的风险？",
        "stem_en": "Which measures lower the risk of lateral movement in a plant network?",
        "options": [{"key": "A", "text": "划分安全区域并设置边界防护", "text_en": "Zones with boundary protection"},
                    {"key": "B", "text": "所有设备共用一个管理员口令", "text_en": "One shared admin password"},
                    {"key": "C", "text": "关闭不用的服务与端口", "text_en": "Close unused services and ports"},
                    {"key": "D", "text": "关闭日志以节省存储", "text_en": "Turn logging off to save storage"}],
        "answer": ["A", "C"], "explanation": "分区防护与最小化服务能限制横向移动。",
        "explanation_en": "Zoning and minimal services limit lateral movement.", "tags": [],
    }

    def validate_answer(self, answer, keys):
        if not isinstance(answer, list) or not answer:
            return [Problem("answer", "required")]
        wrong = [a for a in answer if a not in keys]
        if wrong:
            return [Problem("answer", "answer_not_an_option", {"answer": ",".join(map(str, wrong))})]
        if len(set(answer)) != len(answer) or answer != sorted(answer):
            return [Problem("answer", "answer_not_sorted")]
        if len(answer) < 2:
            return [Problem("answer", "multiple_needs_two")]
        return []

    def check(self, response, key) -> Outcome:
        chosen, correct = set(response or ()), set(key)
        if chosen == correct:
            return Outcome(True)
        return Outcome(False, partial=bool(chosen) and chosen < correct)

    def response_problem(self, response, *, option_keys, key):
        if response is None:
            return None
        if not isinstance(response, list) or not all(isinstance(r, str) for r in response):
            return "not_a_list"
        if len(set(response)) != len(response) or not set(response) <= set(option_keys):
            return "not_an_option"
        return None

    def normalise_response(self, response):
        return sorted(response) if response is not None else None

    def format_key(self, answer, translate=None) -> str:
        return "".join(answer) if isinstance(answer, list) else str(answer)

    def parse_cell(self, raw: str):
        return [c for c in raw.upper() if c.isalpha()]

    def answer_of(self, correct):
        return correct

    def moodle_answers(self, q, options, answer, html):
        ET.SubElement(q, "single").text = "false"
        ET.SubElement(q, "shuffleanswers").text = "true"
        ET.SubElement(q, "answernumbering").text = "ABCD"
        correct = set(answer)
        for option in options:
            fraction = _MOODLE_FRACTIONS[len(correct)] if option["key"] in correct else "-100"
            el = ET.SubElement(q, "answer", {"fraction": fraction, "format": "html"})
            ET.SubElement(el, "text").text = html(option["text"])
            moodle_text(el, "feedback", "", html=True)

    def cues(self, questions):
        if not questions:
            return []
        counts = Counter(len(q.get("answer") or ()) for q in questions)
        all_but_one = sum(1 for q in questions if len(q.get("answer") or ()) == len(q.get("options") or ()) - 1)
        top = max(counts.values()) / len(questions)
        over = top > KEY_COUNT_SHARE or all_but_one / len(questions) > KEY_COUNT_SHARE
        return [f"multiple choice: key counts {dict(sorted(counts.items()))}, 'all but one' "
                f"{all_but_one}/{len(questions)} (no count above {KEY_COUNT_SHARE:.0%})"
                + ("  << OVER" if over else "")]


KIND = MultipleChoice()
