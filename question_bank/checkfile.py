"""Check question files in interchange form without the app:

    python -m question_bank.checkfile question_bank/data/bank.json [more.json ...]
    python -m question_bank.checkfile --strict FILE ...   (also the shipped bank's own rules)

Prints every problem (question code, field, problem), near-duplicate stems, and counts by module,
level and type. Exits 1 when a question is malformed or two stems are near duplicates. --strict adds
the rules the shipped bank keeps (AUTHORING.md): a work content that fits the level, a pool, the
English text, numeric blanks with a tolerance, and the test-wise cue limits over all files given."""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from itertools import combinations

from question_bank import rules
from question_bank.standard import WORK_CONTENTS, level_of

POOLS = ("exam", "practice", "both")
NUMERIC_MODES = ("absolute", "relative")
# the cue limits (issue 16): over a file's single-choice items, the key is the uniquely longest
# option in at most this share; no count of keys covers more than this share of multiple choice
LONGEST_KEY_SHARE = 0.30
KEY_COUNT_SHARE = 0.40


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["questions"] if isinstance(data, dict) else data


def numeric_problems(spec) -> list[str]:
    """A numeric answer: {"value": 63.2, "tolerance": 0.05, "mode": "absolute"|"relative",
    "unit": "%"} (unit optional)."""
    if not isinstance(spec, dict):
        return ["numeric answer must be an object"]
    out = []
    value, tol = spec.get("value"), spec.get("tolerance")
    for name, v in (("value", value), ("tolerance", tol)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            out.append(f"{name} must be a finite number")
    if isinstance(tol, (int, float)) and not isinstance(tol, bool) and tol <= 0:
        out.append("a numeric answer needs a tolerance above 0")
    if spec.get("mode") not in NUMERIC_MODES:
        out.append(f"mode must be one of {NUMERIC_MODES}")
    unit = spec.get("unit")
    if unit is not None and (not isinstance(unit, str) or not unit.strip() or len(unit) > 12):
        out.append("unit must be short text")
    extra = set(spec) - {"value", "tolerance", "mode", "unit"}
    if extra:
        out.append(f"unknown keys {sorted(extra)}")
    return out


def looks_numeric(text: str) -> bool:
    try:
        float(rules.normalise_text(text).rstrip("%"))
    except ValueError:
        return False
    return True


def problems_of(q: dict, strict: bool) -> list[str]:
    out = []
    shaped = dict(q)
    if q.get("type") == "numeric":
        out += numeric_problems(q.get("answer"))
        if rules.BLANK.search(q.get("stem") or ""):
            out.append("stem: a numeric question asks for one value; no ____ in its stem")
        shaped.update(type="true_false", answer=True)  # the rest validates as an option-less item
    elif q.get("type") == "fill_blank" and isinstance(q.get("answer"), list):
        blanks = []
        for blank in q["answer"]:
            if isinstance(blank, dict):
                out += [f"answer: blank {len(blanks) + 1}: {p}" for p in numeric_problems(blank)]
                blanks.append(["0"])
            else:
                if strict and isinstance(blank, list) and blank and all(
                        isinstance(a, str) and looks_numeric(a) for a in blank):
                    out.append(f"answer: blank {len(blanks) + 1} is a number: give it as "
                               "{value, tolerance, mode, unit}")
                blanks.append(blank)
        shaped["answer"] = blanks
    out += [f"{p.field}: {p.code} {p.params or ''}".strip() for p in rules.validate(shaped)]
    if not strict:
        return out
    work = q.get("work")
    if work not in WORK_CONTENTS:
        out.append(f"work: unknown work content {work!r}")
    elif level_of(work) and level_of(work) != q.get("level"):
        out.append(f"work: {work} is a {level_of(work)} item, the question is {q.get('level')}")
    if q.get("pool") not in POOLS:
        out.append(f"pool: must be one of {POOLS}")
    if not q.get("stem_en") or not q.get("explanation_en"):
        out.append("english: stem_en and explanation_en are required")
    if any(isinstance(o, dict) and not o.get("text_en") for o in q.get("options") or []):
        out.append("english: every option needs text_en")
    return out


def cue_report(questions: list[dict]) -> list[str]:
    """Test-wise cues over a set of questions: the longest-option rule for single choice, the
    spread of key counts in multiple choice, the balance of true/false."""
    out = []
    singles = [q for q in questions if q.get("type") == "single" and q.get("options")]
    if singles:
        longest = 0
        for q in singles:
            lengths = {o["key"]: len(o.get("text") or "") for o in q["options"]}
            top = max(lengths.values())
            if list(lengths.values()).count(top) == 1 and lengths.get(q.get("answer")) == top:
                longest += 1
        share = longest / len(singles)
        out.append(f"single choice: key is the uniquely longest option in {longest}/{len(singles)}"
                   f" ({share:.0%}, limit {LONGEST_KEY_SHARE:.0%})"
                   + ("  << OVER" if share > LONGEST_KEY_SHARE else ""))
        letters = Counter(q.get("answer") for q in singles)
        out.append(f"single choice: keys by letter {dict(sorted(letters.items()))}")
    multiples = [q for q in questions if q.get("type") == "multiple"]
    if multiples:
        counts = Counter(len(q.get("answer") or ()) for q in multiples)
        all_but_one = sum(1 for q in multiples
                          if len(q.get("answer") or ()) == len(q.get("options") or ()) - 1)
        top = max(counts.values()) / len(multiples)
        out.append(f"multiple choice: key counts {dict(sorted(counts.items()))}, 'all but one' "
                   f"{all_but_one}/{len(multiples)} (no count above {KEY_COUNT_SHARE:.0%})"
                   + ("  << OVER" if top > KEY_COUNT_SHARE or all_but_one / len(multiples)
                      > KEY_COUNT_SHARE else ""))
    tfs = [q for q in questions if q.get("type") == "true_false"]
    if tfs:
        true = sum(1 for q in tfs if q.get("answer") is True)
        out.append(f"true/false: {true} true of {len(tfs)}")
    return out


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    paths = [a for a in argv if a != "--strict"]
    questions = [q for p in paths for q in load(p)]
    bad = 0
    for q in questions:
        for problem in problems_of(q, strict):
            bad += 1
            print(f"{q.get('code', '?')}: {problem}")
    codes = Counter(q.get("code") for q in questions)
    for code, n in codes.items():
        if n > 1:
            bad += 1
            print(f"{code}: code used {n} times")
    dupes = 0
    for a, b in combinations(questions, 2):
        if rules.similarity(a.get("stem", ""), b.get("stem", "")) >= rules.NEAR_DUPLICATE:
            dupes += 1
            print(f"near duplicate: {a.get('code')} ~ {b.get('code')}")
    print(f"\n{len(questions)} questions, {bad} problem(s), {dupes} near-duplicate pair(s)")
    print("by module:", dict(sorted(Counter(q.get("module") for q in questions).items())))
    print("by level: ", dict(Counter(q.get("level") for q in questions)))
    print("by type:  ", dict(Counter(q.get("type") for q in questions)))
    print("with English:", sum(1 for q in questions if q.get("stem_en")))
    print("by difficulty:", dict(sorted(Counter(q.get("difficulty") for q in questions).items())))
    if strict:
        print("by pool:  ", dict(Counter(q.get("pool") for q in questions)))
        print("by work:  ", dict(sorted(Counter(q.get("work") for q in questions).items())))
        for line in cue_report(questions):
            print(line)
    return 1 if bad or dupes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
