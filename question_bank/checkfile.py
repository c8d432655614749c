"""Check question files in interchange form without the app:

    python -m question_bank.checkfile question_bank/data/bank.json [more.json ...]
    python -m question_bank.checkfile --strict FILE ...   (also the shipped bank's own rules)

Prints every problem (question code, field, problem), near-duplicate stems, and counts by module,
level and type. Exits 1 when a question is malformed or two stems are near duplicates. --strict adds
the rules the shipped bank keeps (AUTHORING.md): a work content that fits the level, a pool, the
English text, numeric blanks with a tolerance, and the test-wise cue limits over all files given."""

from __future__ import annotations

import json
import sys
from collections import Counter
from itertools import combinations

from question_bank import qtypes, rules
from question_bank.standard import WORK_CONTENTS, level_of

POOLS = ("exam", "practice", "both")


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["questions"] if isinstance(data, dict) else data


def problems_of(q: dict, strict: bool) -> list[str]:
    out = [f"{p.field}: {p.code} {p.params or ''}".strip() for p in rules.validate(q)]
    try:
        out += qtypes.get(q.get("type")).authoring_problems(q, strict)
    except qtypes.UnknownType:
        pass
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
    """Test-wise cues over a set of questions, each type's own (the longest-option rule for single
    choice, the spread of key counts in multiple choice, the balance of true/false)."""
    return [line for kind in qtypes.kinds() for line in kind.cues([q for q in questions if q.get("type") == kind.code])]


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
