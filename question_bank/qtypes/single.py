"""Single choice (单选): options A.., one key "B"."""

from __future__ import annotations

from collections import Counter

from question_bank.qtypes.base import LONGEST_KEY_SHARE, N_, ChoiceKind, Outcome, Problem, moodle_text


class SingleChoice(ChoiceKind):
    code = "single"
    order = 10
    label = N_("Single choice")
    label_zh = "单选"
    words = ("单选题", "单项选择", "单项选择题")
    key_syntax = "B"
    excel_help = "单选 B"
    input_type = "radio"
    collector = "one"
    min_options = 2
    example = {
        "type": "single", "module": 1, "level": "junior", "difficulty": 2,
        "stem": "MQTT 协议未加密连接的默认 TCP 端口是哪一个？",
        "stem_en": "Which TCP port does an unencrypted MQTT connection use by default?",
        "options": [{"key": "A", "text": "80", "text_en": "80"}, {"key": "B", "text": "1883", "text_en": "1883"},
                    {"key": "C", "text": "502", "text_en": "502"}, {"key": "D", "text": "4840", "text_en": "4840"}],
        "answer": "B", "explanation": "MQTT 明文连接默认使用 1883，TLS 连接常用 8883。",
        "explanation_en": "Plain MQTT uses 1883; MQTT over TLS usually 8883.", "tags": ["MQTT"],
    }

    def validate_answer(self, answer, keys):
        if not isinstance(answer, str) or not answer:
            return [Problem("answer", "required")]
        if answer not in keys:
            return [Problem("answer", "answer_not_an_option", {"answer": answer})]
        return []

    def check(self, response, key) -> Outcome:
        return Outcome(response == key)

    def response_problem(self, response, *, option_keys, key):
        if response is None:
            return None
        return None if isinstance(response, str) and response in option_keys else "not_an_option"

    def parse_cell(self, raw: str):
        return raw.upper()

    def answer_of(self, correct):
        return correct[0] if len(correct) == 1 else ("" if not correct else correct)

    def form_message(self, problem, content):
        if problem.field == "answer" and isinstance(content.get("answer"), list):
            return N_("Mark exactly one correct option.")
        return None

    def moodle_answers(self, q, options, answer, html):
        from xml.etree import ElementTree as ET

        ET.SubElement(q, "single").text = "true"
        ET.SubElement(q, "shuffleanswers").text = "true"
        ET.SubElement(q, "answernumbering").text = "ABCD"
        for option in options:
            el = ET.SubElement(q, "answer", {"fraction": "100" if option["key"] == answer else "0",
                                             "format": "html"})
            ET.SubElement(el, "text").text = html(option["text"])
            moodle_text(el, "feedback", "", html=True)

    def cues(self, questions):
        singles = [q for q in questions if q.get("options")]
        if not singles:
            return []
        longest = 0
        for q in singles:
            lengths = {o["key"]: len(o.get("text") or "") for o in q["options"]}
            top = max(lengths.values())
            if list(lengths.values()).count(top) == 1 and lengths.get(q.get("answer")) == top:
                longest += 1
        share = longest / len(singles)
        letters = Counter(q.get("answer") for q in singles)
        return [f"single choice: key is the uniquely longest option in {longest}/{len(singles)}"
                f" ({share:.0%}, limit {LONGEST_KEY_SHARE:.0%})" + ("  << OVER" if share > LONGEST_KEY_SHARE else ""),
                f"single choice: keys by letter {dict(sorted(letters.items()))}"]


KIND = SingleChoice()
