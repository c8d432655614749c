"""Check question files in interchange form without the app:

    python -m question_bank.checkfile question_bank/data/bank.json [more.json ...]

Prints every problem (question code, field, problem), near-duplicate stems, and counts by module,
level and type. Exits 1 when a question is malformed or two stems are near duplicates."""

from __future__ import annotations

import json
import sys
from collections import Counter
from itertools import combinations

from question_bank import rules


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["questions"] if isinstance(data, dict) else data


def main(paths: list[str]) -> int:
    questions = [q for p in paths for q in load(p)]
    bad = 0
    for q in questions:
        for problem in rules.validate(q):
            bad += 1
            print(f"{q.get('code', '?')}: {problem.field}: {problem.code} {problem.params or ''}")
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
    return 1 if bad or dupes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
