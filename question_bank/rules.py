"""Pure rules of the question bank: the question types, their answer checks, and the validation of
a question in its interchange form (the dict used by JSON and Excel import/export and by the
shipped bank). No Flask, no database.

Interchange form of one question:
    code         "M1-J-001" (optional on import; stable key of the question)
    type         a code of question_bank.qtypes (each type's module says its answer's form)
    module       1..5 (seed 002, 1.1)
    level        "junior" | "intermediate" | "senior"
    difficulty   1..5
    stem, stem_en                   the Chinese text (required) and an optional English one
    options      [{"key": "A", "text": "...", "text_en": "..."}]   choice types only
    answer       in the form its type defines
    explanation, explanation_en     解析 (required) and an optional English one
    tags         ["MQTT", ...]; source "..."; status "draft" | "active" | "retired"
    work         "S-2.1", "M3", ... (question_bank.standard) or "" (not yet coded)
    pool         "exam" | "practice" | "both" (optional: what the question is for)
"""

from __future__ import annotations

import re
from enum import StrEnum

from question_bank import qtypes
from question_bank.qtypes.base import (  # noqa: F401 (re-exported: the bank's rules in one place)
    BLANK,
    MAX_OPTION,
    OPTION_KEYS,
    Outcome,
    Problem,
    normalise_text,
    numeric_match,
    parse_number,
    same_answer,
)
from question_bank.standard import WORK_CONTENTS, level_of

MAX_STEM = 2000
MAX_EXPLANATION = 3000
MAX_TAG = 30
MAX_TAGS = 12
MAX_SOURCE = 200


QuestionType = StrEnum("QuestionType", [(code.upper(), code) for code in qtypes.codes()])


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
        kind = qtypes.get(q.get("type"))
    except qtypes.UnknownType:
        return [Problem("type", "bad_type", {"value": q.get("type")})]
    if q.get("module") not in MODULES or isinstance(q.get("module"), bool):
        problems.append(Problem("module", "bad_module", {"value": q.get("module")}))
    if q.get("level") not in {lv.value for lv in Level}:
        problems.append(Problem("level", "bad_level", {"value": q.get("level")}))
    problems += _work_problems(q.get("work"), q.get("level"))
    if q.get("pool") is not None and q.get("pool") not in {p.value for p in Pool}:
        problems.append(Problem("pool", "bad_pool", {"value": q.get("pool")}))
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
    problems += kind.validate_content(q)
    return problems


def check(qtype: str, response, key) -> Outcome:
    return qtypes.get(qtype).check(response, key)


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
