"""What every question type shares, and the primitives the types use. Pure: stdlib only, no Flask,
no database. UI strings are msgids marked with N_ and translated by the caller."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET


def N_(message: str) -> str:
    """Marks a msgid for extraction (Babel's default keywords include N_); callers translate."""
    return message


# One list of option keys for rules, Excel columns, the editor's rows and the paper's letters.
OPTION_KEYS = "ABCDEF"
MAX_OPTION = 500
BLANK = re.compile(r"_{3,}")
MAX_NUMERIC = 60  # the longest numeric response read, typed with its unit
NUMERIC_MODES = ("absolute", "relative")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a question: the field, a code for the message, its parameters."""

    field: str
    code: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """How a response compares with the key: fully correct, or a correct subset with no wrong pick."""

    correct: bool
    partial: bool = False


@dataclass(frozen=True)
class FieldSpec:
    """An editor field a type declares; question_bank.forms builds it into the question form.
    `widget` is text, textarea, select or checkbox; label and description are msgids."""

    name: str
    widget: str
    label: str
    params: dict = field(default_factory=dict)
    description: str = ""
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()


# --- text and numbers --------------------------------------------------------------------------


def normalise_text(value: str) -> str:
    """For fill-in answers: full-width to half-width, trimmed, inner spaces collapsed, case-folded."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip().casefold()


_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(.*)$")


def parse_number(value: str) -> tuple[Decimal, str] | None:
    """A typed number and what follows it (its unit), or None when the text does not start with
    one: full-width digits and signs are read as ASCII ("６３.２％" is 63.2 and "%"), thousands
    separators are dropped, the unit is normalised as fill-in text is."""
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "").replace("，", "")
    match = _NUMBER.match(text)
    if match is None:
        return None
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return number, normalise_text(match.group(2))


def same_answer(given: str, accepted: str) -> bool:
    """A fill-in answer against one accepted alternative: as text, or as numbers (with the same
    unit, or none) when both are numbers, so "63.20%" matches "63.2%" and "10.0" matches "10"."""
    if normalise_text(given) == normalise_text(accepted):
        return True
    a, b = parse_number(given), parse_number(accepted)
    return a is not None and b is not None and a[0] == b[0] and a[1] == b[1]


def numeric_match(response, spec: dict) -> bool:
    """A numeric answer: the value within the tolerance (absolute, or relative to the value),
    typed with the spec's unit, or with none. "63.2", "63.2%", "63.20" and "６３.２" all match
    {"value": 63.2, "tolerance": 0.05, "mode": "absolute", "unit": "%"}."""
    if not isinstance(response, str) or len(response) > MAX_NUMERIC or not isinstance(spec, dict):
        return False
    parsed = parse_number(response)
    if parsed is None:
        return False
    number, unit = parsed
    if unit and unit != normalise_text(str(spec.get("unit") or "")):
        return False
    value, tolerance = Decimal(str(spec["value"])), Decimal(str(spec["tolerance"]))
    limit = tolerance * abs(value) if spec.get("mode") == "relative" else tolerance
    return abs(number - value) <= limit


def is_number(value) -> bool:
    """A finite JSON number (bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return Decimal(str(value)).is_finite()


def numeric_spec_problems(spec, field_name: str = "answer") -> list[Problem]:
    """What is wrong with a numeric answer {value, tolerance, mode, unit}: the numeric type's
    answer and a numeric blank of a fill-in question. Every numeric answer needs a tolerance."""
    if not isinstance(spec, dict) or set(spec) - {"value", "tolerance", "mode", "unit"}:
        return [Problem(field_name, "numeric_spec")]
    problems = []
    if not is_number(spec.get("value")):
        problems.append(Problem(field_name, "numeric_value"))
    tolerance = spec.get("tolerance")
    if not is_number(tolerance) or tolerance <= 0:
        problems.append(Problem(field_name, "numeric_tolerance"))
    if spec.get("mode") not in NUMERIC_MODES:
        problems.append(Problem(field_name, "numeric_mode"))
    unit = spec.get("unit")
    if unit is not None and (not isinstance(unit, str) or not unit.strip() or len(unit) > 12):
        problems.append(Problem(field_name, "numeric_unit"))
    return problems


def to_decimal(value) -> Decimal:
    return Decimal(str(value))


def format_number(value) -> str:
    """A number as people write it: no exponent, no trailing zeros ("0.8", "447", "1200")."""
    text = format(to_decimal(value).normalize(), "f")
    return text


def json_number(number: Decimal):
    """A Decimal back to a JSON number: an int when whole, else the float of its digits."""
    number = number.normalize()
    return int(number) if number == number.to_integral_value() else float(number)


def format_spec(spec: dict) -> str:
    """A numeric answer as the Excel cell and the key line write it: "0.8 ± 0.01 MPa",
    "447 ± 2% ms"."""
    tolerance = to_decimal(spec["tolerance"])
    if spec.get("mode") == "relative":
        tolerance_text = format_number(tolerance * 100) + "%"
    else:
        tolerance_text = format_number(tolerance)
    unit = spec.get("unit")
    return f"{format_number(spec['value'])} ± {tolerance_text}" + (f" {unit}" if unit else "")


_FULL_WIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {0xFF0E: ".", 0xFF0B: "+", 0xFF0D: "-", 0xFF05: "%",
                                                           0xFF0F: "/", 0xFF0C: ","}
_SPEC = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:±|\+/-|\+-)\s*(\d+(?:\.\d*)?|\.\d+)(%?)\s*(.*)$")


def parse_spec(raw: str):
    """The Excel syntax of a numeric answer, "0.8 ± 0.01 MPa" (absolute) or "447 ± 2% ms"
    (relative: a % glued to the tolerance); anything after it is the unit, so "98 ± 0.05 %" is
    absolute with the unit %. Text that is not in that form comes back as it is, for the
    validation to report."""
    text = raw.translate(_FULL_WIDTH).strip().replace(",", "")  # the unit stays as typed ("℃")
    match = _SPEC.match(text)
    if match is None:
        return raw
    value, tolerance, relative, unit = match.groups()
    spec = {"value": json_number(Decimal(value)),
            "tolerance": json_number(Decimal(tolerance) / 100 if relative else Decimal(tolerance)),
            "mode": "relative" if relative else "absolute"}
    if unit.strip():
        spec["unit"] = unit.strip()
    return spec


# --- the type ----------------------------------------------------------------------------------


class Kind:
    """One question type: everything the platform does that depends on it. A type is a module in
    this package defining KIND = <a Kind>, and a template partial (`template`) with the macros
    answer (the inputs of the exam and practice pages), review (options with the key marked, and
    the key line) and editor (its fields on the question form)."""

    code: str
    order: int
    label: str                         # msgid
    label_zh: str                      # the Excel type cell
    words: tuple[str, ...] = ()        # other words the Excel type cell may hold (casefolded)
    key_syntax: str                    # the answer as typed in Excel and in a corrected key
    excel_help: str                    # the answer column's help, in Chinese
    template: str
    messages: dict[str, str] = {}      # problem code -> msgid, for the codes only this type emits
    fields: tuple[FieldSpec, ...] = ()
    example: dict                      # a well-formed question in interchange form
    has_options = False
    min_options = 0
    shuffles_options = False
    # How the answer inputs are read, on the page (exam.js) and from a form: "one" (the checked
    # radio), "many" (the checked boxes), "list" (text inputs by data-blank), "text" (one input).
    collector: str
    json_values = False                # the inputs' values are JSON literals (true/false)
    max_response = 200

    # content

    def validate_options(self, options) -> list[Problem]:
        return [Problem("options", "options_not_allowed")] if options else []

    def validate_answer(self, answer, keys: list[str]) -> list[Problem]:
        raise NotImplementedError

    def validate_stem(self, stem: str, answer) -> list[Problem]:
        return []

    def validate_content(self, q: dict) -> list[Problem]:
        options = q.get("options") or []
        problems = self.validate_options(options)
        keys = [o["key"] for o in options if isinstance(o, dict) and "key" in o]
        problems += self.validate_answer(q.get("answer"), keys)
        if isinstance(q.get("stem"), str):
            problems += self.validate_stem(q["stem"], q.get("answer"))
        return problems

    # responses (the hot path: no I/O)

    def check(self, response, key) -> Outcome:
        raise NotImplementedError

    def response_problem(self, response, *, option_keys: Sequence[str], key) -> str | None:
        """Why a response has the wrong shape for this question (None when it is fine). An empty
        response (None) clears the answer."""
        raise NotImplementedError

    def normalise_response(self, response):
        return response

    def from_form(self, values: list[str]):
        """A response from the values of the inputs named alike (practice posts them as `answer`),
        read by the same rule as exam.js reads the page."""
        values = [v for v in values if isinstance(v, str)]
        if self.collector == "one":
            if not values or not values[0]:
                return None
            if self.json_values:
                try:
                    return json.loads(values[0])
                except ValueError:
                    return None
            return values[0]
        if self.collector == "many":
            return sorted(values) or None
        if self.collector == "list":
            return values if any(v.strip() for v in values) else None
        return values[0] if values and values[0].strip() else None

    def example_response(self, key):
        """A correct response to the key (tests and benchmarks answer with it)."""
        return key

    def public(self, answer) -> dict:
        """What the answer page may know of the key: the number of blanks, the unit."""
        return {}

    # display and analysis

    def format_key(self, answer, translate=None) -> str:
        """The key as one line of text (the version diff, the review page's key line); `translate`
        turns a msgid into the reader's language where the key is a word."""
        return str(answer)

    def format_response(self, response, translate=None) -> str:
        return self.format_key(response, translate)

    def choices_of(self, response) -> tuple[str, ...]:
        """The choices a response made, for the distractor counts of item analysis."""
        return ()

    def choice_is_key(self, choice: str, answer) -> bool:
        return False

    # transfer

    def excel_cell(self, answer) -> str:
        return self.format_key(answer)

    def parse_cell(self, raw: str):
        return raw

    def moodle_type(self, answer) -> str:
        raise NotImplementedError

    def moodle_questiontext(self, html: str, answer) -> str:
        return html

    def moodle_answers(self, q: ET.Element, options: list, answer, html: Callable[[str], str]) -> None:
        raise NotImplementedError

    # editor: values is {field name: data}

    def answer_from_form(self, values: dict) -> tuple[list, object]:
        raise NotImplementedError

    def form_data(self, options: list, answer) -> dict:
        raise NotImplementedError

    def form_message(self, problem: Problem, content: dict) -> str | None:
        """A msgid that says a problem better in the editor's words than the general message."""
        return None

    # authoring (question_bank.checkfile)

    def authoring_problems(self, q: dict, strict: bool) -> list[str]:
        return []

    def cues(self, questions: list[dict]) -> list[str]:
        """Test-wise cues across this type's questions, as report lines (an over-limit line ends
        with "<< OVER")."""
        return []


def moodle_text(parent: ET.Element, tag: str, text: str, *, html: bool = False) -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": "html"} if html else {})
    ET.SubElement(el, "text").text = text
    return el


class ChoiceKind(Kind):
    """Single and multiple choice: lettered options, shuffled on a paper, Moodle multichoice."""

    has_options = True
    shuffles_options = True
    option_keys = OPTION_KEYS
    template = "question_types/choice.html"
    input_type: str
    fields = tuple(spec for key in OPTION_KEYS for spec in (
        FieldSpec(f"option_{key}", "text", N_("Option %(key)s"), {"key": key}, max_length=MAX_OPTION),
        FieldSpec(f"option_{key}_en", "text", N_("Option %(key)s (English)"), {"key": key},
                  max_length=MAX_OPTION),
        FieldSpec(f"correct_{key}", "checkbox", N_("Correct")),
    ))

    def validate_options(self, options) -> list[Problem]:
        problems = []
        if not isinstance(options, list) or len(options) < self.min_options:
            return [Problem("options", "too_few_options", {"min": self.min_options})]
        if len(options) > len(OPTION_KEYS):
            return [Problem("options", "too_many_options", {"max": len(OPTION_KEYS)})]
        for i, option in enumerate(options):
            expected = OPTION_KEYS[i]
            if not isinstance(option, dict) or option.get("key") != expected:
                problems.append(Problem("options", "option_key_order", {"key": expected}))
                continue
            text = option.get("text")
            if not isinstance(text, str) or not text.strip():
                problems.append(Problem(f"option_{expected}", "required"))
            elif len(text) > MAX_OPTION:
                problems.append(Problem(f"option_{expected}", "too_long", {"max": MAX_OPTION}))
            text_en = option.get("text_en")
            if text_en is not None and (not isinstance(text_en, str) or len(text_en) > MAX_OPTION):
                problems.append(Problem(f"option_{expected}_en", "too_long", {"max": MAX_OPTION}))
        texts = [normalise_text(o.get("text") or "") for o in options if isinstance(o, dict)]
        if len(set(texts)) != len(texts):
            problems.append(Problem("options", "duplicate_options"))
        return problems

    def validate_content(self, q: dict) -> list[Problem]:
        problems = super().validate_content(q)
        options = q.get("options") or []
        if q.get("stem_en") and isinstance(options, list) and any(
                isinstance(o, dict) and not o.get("text_en") for o in options):
            problems.append(Problem("options", "english_options_missing"))
        return problems

    def choices_of(self, response) -> tuple[str, ...]:
        if isinstance(response, str):
            return (response,)
        if isinstance(response, list):
            return tuple(r for r in response if isinstance(r, str))
        return ()

    def keys_of(self, answer) -> set[str]:
        return {answer} if isinstance(answer, str) else set(answer or ())

    def choice_is_key(self, choice: str, answer) -> bool:
        return choice in self.keys_of(answer)

    def moodle_type(self, answer) -> str:
        return "multichoice"

    def answer_from_form(self, values: dict) -> tuple[list, object]:
        options = []
        for key in OPTION_KEYS:
            text, text_en = values.get(f"option_{key}"), values.get(f"option_{key}_en")
            if text or text_en:
                options.append({"key": key, "text": text or None, "text_en": text_en or None})
        keys = {o["key"] for o in options}
        correct = [k for k in OPTION_KEYS if values.get(f"correct_{k}") and k in keys]
        return options, self.answer_of(correct)

    def answer_of(self, correct: list[str]):
        raise NotImplementedError

    def form_data(self, options: list, answer) -> dict:
        data = {}
        keys = self.keys_of(answer)
        for option in options:
            data[f"option_{option['key']}"] = option.get("text") or ""
            data[f"option_{option['key']}_en"] = option.get("text_en") or ""
            data[f"correct_{option['key']}"] = option["key"] in keys
        return data


# The test-wise cue limits (issue 16), over a set of questions: the key of a single-choice item
# is its uniquely longest option in at most this share; no count of keys covers more than this
# share of multiple-choice items.
LONGEST_KEY_SHARE = 0.30
KEY_COUNT_SHARE = 0.40
