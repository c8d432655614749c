"""Pure rules of the question bank: the question types, their answer checks, and the validation of
a question in its interchange form (the dict used by JSON and Excel import/export and by the
shipped bank). No Flask, no database.

Interchange form of one question:
    code         "M1-J-001" (optional on import; stable key of the question)
    type         "single" | "multiple" | "true_false" | "fill_blank"
    module       1..5 (seed 002, 1.1)
    level        "junior" | "intermediate" | "senior"
    difficulty   1..5
    stem, stem_en                   the Chinese text (required) and an optional English one
    options      [{"key": "A", "text": "...", "text_en": "..."}]   choice types only
    answer       single "B"; multiple ["A", "C"]; true_false true/false;
                 fill_blank [["accepted", "also accepted"], ...], one list per blank (___ in the stem)
    explanation, explanation_en     解析 (required) and an optional English one
    tags         ["MQTT", ...]; source "..."; status "draft" | "active" | "retired"
    work         "S-2.1", "M3", ... (question_bank.standard) or "" (not yet coded)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from question_bank.standard import WORK_CONTENTS, level_of

MAX_STEM = 2000
MAX_OPTION = 500
MAX_EXPLANATION = 3000
MAX_TAG = 30
MAX_TAGS = 12
MAX_SOURCE = 200
OPTION_KEYS = "ABCDEFGH"
BLANK = re.compile(r"_{3,}")


class QuestionType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    FILL_BLANK = "fill_blank"


class Level(StrEnum):
    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"


class Status(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class Pool(StrEnum):
    """What a question is for: exams only, practice only, or both (exposure control)."""

    EXAM = "exam"
    PRACTICE = "practice"
    BOTH = "both"


MODULES = (1, 2, 3, 4, 5)


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


def _same_answer(given: str, accepted: str) -> bool:
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
    if not isinstance(response, str) or len(response) > 60:
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


class _Type:
    type: QuestionType
    has_options = False
    min_options = 0

    def validate_answer(self, answer, keys: list[str]) -> list[Problem]:
        raise NotImplementedError

    def check(self, response, key) -> Outcome:
        raise NotImplementedError

    def validate_options(self, options) -> list[Problem]:
        if not self.has_options:
            return [Problem("options", "options_not_allowed")] if options else []
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


class SingleChoice(_Type):
    type = QuestionType.SINGLE
    has_options = True
    min_options = 2

    def validate_answer(self, answer, keys):
        if not isinstance(answer, str) or not answer:
            return [Problem("answer", "required")]
        if answer not in keys:
            return [Problem("answer", "answer_not_an_option", {"answer": answer})]
        return []

    def check(self, response, key) -> Outcome:
        return Outcome(response == key)


class MultipleChoice(_Type):
    type = QuestionType.MULTIPLE
    has_options = True
    min_options = 3

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


class TrueFalse(_Type):
    type = QuestionType.TRUE_FALSE

    def validate_answer(self, answer, keys):
        return [] if isinstance(answer, bool) else [Problem("answer", "answer_true_false")]

    def check(self, response, key) -> Outcome:
        return Outcome(isinstance(response, bool) and response is key)


class FillBlank(_Type):
    type = QuestionType.FILL_BLANK

    def validate_answer(self, answer, keys):
        if not isinstance(answer, list) or not answer:
            return [Problem("answer", "required")]
        for blank in answer:
            if (not isinstance(blank, list) or not blank
                    or not all(isinstance(a, str) and a.strip() for a in blank)):
                return [Problem("answer", "answer_blank_empty")]
            if any(len(a) > MAX_OPTION for a in blank):
                return [Problem("answer", "too_long", {"max": MAX_OPTION})]
        return []

    def check(self, response, key) -> Outcome:
        if not isinstance(response, list) or len(response) != len(key):
            return Outcome(False)
        return Outcome(all(
            isinstance(given, str) and len(given) <= MAX_OPTION and any(_same_answer(given, a) for a in accepted)
            for given, accepted in zip(response, key, strict=True)
        ))


TYPES: dict[QuestionType, _Type] = {
    t.type: t for t in (SingleChoice(), MultipleChoice(), TrueFalse(), FillBlank())
}


def _text_problems(q: dict, name: str, *, required: bool, limit: int) -> list[Problem]:
    value = q.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return [Problem(name, "required")] if required else []
    if not isinstance(value, str):
        return [Problem(name, "not_text")]
    if len(value) > limit:
        return [Problem(name, "too_long", {"max": limit})]
    return []


def _work_problems(work, level) -> list[Problem]:
    """The work content a question tests (standard.WORK_CONTENTS): blank is allowed (legacy data;
    the shipped bank's strict check requires one); a skill item must be of the question's level."""
    if work is None or work == "":
        return []
    if not isinstance(work, str) or work not in WORK_CONTENTS:
        return [Problem("work", "bad_work", {"value": work})]
    if level_of(work) is not None and level_of(work) != level:
        return [Problem("work", "work_level", {"value": work, "level": level_of(work)})]
    return []


def validate(q: dict) -> list[Problem]:
    """Every problem with a question in interchange form; an empty list means well formed."""
    problems: list[Problem] = []
    try:
        qtype = TYPES[QuestionType(q.get("type"))]
    except ValueError:
        return [Problem("type", "bad_type", {"value": q.get("type")})]
    if q.get("module") not in MODULES or isinstance(q.get("module"), bool):
        problems.append(Problem("module", "bad_module", {"value": q.get("module")}))
    if q.get("level") not in {lv.value for lv in Level}:
        problems.append(Problem("level", "bad_level", {"value": q.get("level")}))
    problems += _work_problems(q.get("work"), q.get("level"))
    difficulty = q.get("difficulty")
    if isinstance(difficulty, bool) or difficulty not in (1, 2, 3, 4, 5):
        problems.append(Problem("difficulty", "bad_difficulty", {"value": difficulty}))
    if q.get("status", Status.ACTIVE) not in {s.value for s in Status}:
        problems.append(Problem("status", "bad_status", {"value": q.get("status")}))
    problems += _text_problems(q, "stem", required=True, limit=MAX_STEM)
    problems += _text_problems(q, "stem_en", required=False, limit=MAX_STEM)
    problems += _text_problems(q, "explanation", required=True, limit=MAX_EXPLANATION)
    problems += _text_problems(q, "explanation_en", required=False, limit=MAX_EXPLANATION)
    problems += _text_problems(q, "source", required=False, limit=MAX_SOURCE)
    tags = q.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.append(Problem("tags", "bad_tags"))
    elif len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
        problems.append(Problem("tags", "too_many_tags", {"max": MAX_TAGS, "length": MAX_TAG}))
    options = q.get("options") or []
    option_problems = qtype.validate_options(options)
    problems += option_problems
    keys = [o["key"] for o in options if isinstance(o, dict) and "key" in o]
    problems += qtype.validate_answer(q.get("answer"), keys)
    if qtype.type is QuestionType.FILL_BLANK and isinstance(q.get("stem"), str):
        blanks = len(BLANK.findall(q["stem"]))
        answers = q.get("answer") if isinstance(q.get("answer"), list) else []
        if blanks != len(answers):
            problems.append(Problem("answer", "blank_count", {"blanks": blanks, "answers": len(answers)}))
    if q.get("stem_en") and qtype.has_options and any(
        isinstance(o, dict) and not o.get("text_en") for o in options
    ):
        problems.append(Problem("options", "english_options_missing"))
    return problems


def check(qtype: str, response, key) -> Outcome:
    return TYPES[QuestionType(qtype)].check(response, key)


# --- near-duplicate stems -----------------------------------------------------------------------


def _shingles(text: str) -> set[str]:
    compact = re.sub(r"[\s\W_]+", "", normalise_text(text))
    return {compact[i:i + 2] for i in range(max(1, len(compact) - 1))}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams: works for Chinese without word segmentation."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


NEAR_DUPLICATE = 0.8


class StemIndex:
    """Finds stems similar to a given one without comparing against every stem in full: an
    inverted index from bigram to the stems that contain it."""

    def __init__(self) -> None:
        self._shingles: dict[str, set[str]] = {}
        self._postings: dict[str, set[str]] = {}

    def add(self, key: str, stem: str) -> None:
        shingles = _shingles(stem)
        self._shingles[key] = shingles
        for s in shingles:
            self._postings.setdefault(s, set()).add(key)

    def similar(self, stem: str, *, threshold: float = NEAR_DUPLICATE,
                exclude: str | None = None) -> list[tuple[str, float]]:
        mine = _shingles(stem)
        overlap: dict[str, int] = {}
        for s in mine:
            for key in self._postings.get(s, ()):
                overlap[key] = overlap.get(key, 0) + 1
        found = []
        for key, shared in overlap.items():
            if key == exclude:
                continue
            score = shared / (len(mine) + len(self._shingles[key]) - shared)
            if score >= threshold:
                found.append((key, round(score, 3)))
        return sorted(found, key=lambda kv: -kv[1])
