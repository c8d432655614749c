"""Item analysis (classical test theory), pure: plain data in, frozen dataclasses out.

Per item: facility index (mean score / maximum), discrimination index (facility in the upper 27 %
minus facility in the lower 27 % of candidates ranked by total score), corrected point-biserial
(correlation of the item score with the total of the other items), option choice counts for
distractor analysis, and flags. Per exam: candidates, mean, standard deviation, range, and
Cronbach's alpha (KR-20 when every item is scored 0/1).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

GROUP_FRACTION = 0.27
TOO_EASY = 0.90
TOO_HARD = 0.20
POOR_DISCRIMINATION = 0.20


@dataclass(frozen=True)
class Response:
    """One candidate's result on one item."""

    candidate: str
    item: str
    score: float
    max_score: float
    choice: tuple[str, ...] = ()  # the options picked (choice questions), for distractor counts


@dataclass(frozen=True)
class ItemStats:
    item: str
    n: int
    facility: float
    discrimination: float | None
    point_biserial: float | None
    option_counts: dict = field(default_factory=dict)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExamStats:
    candidates: int
    items: int
    mean: float
    sd: float
    minimum: float
    maximum: float
    alpha: float | None


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 2:
        return None
    mx, my = _mean(xs), _mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _groups(totals: dict[str, float]) -> tuple[list[str], list[str]]:
    """Upper and lower 27 % by total score (ties broken by candidate id, so the split is stable)."""
    ranked = sorted(totals, key=lambda c: (-totals[c], c))
    size = max(1, round(len(ranked) * GROUP_FRACTION))
    return ranked[:size], ranked[-size:]


def flags(facility: float, discrimination: float | None) -> tuple[str, ...]:
    """Why an item needs a look: too easy or too hard, discriminating poorly or negatively (the one
    place these limits are applied: per exam here, pooled across exams by the bank)."""
    found = []
    if facility > TOO_EASY:
        found.append("too_easy")
    if facility < TOO_HARD:
        found.append("too_hard")
    if discrimination is not None:
        if discrimination < 0:
            found.append("negative_discrimination")
        elif discrimination < POOR_DISCRIMINATION:
            found.append("poor_discrimination")
    return tuple(found)


def analyse(responses: Iterable[Response]) -> tuple[dict[str, ItemStats], ExamStats | None]:
    """Statistics of every item and of the whole exam from all candidates' responses."""
    by_item: dict[str, dict[str, Response]] = {}
    totals: dict[str, float] = {}
    for r in responses:
        by_item.setdefault(r.item, {})[r.candidate] = r
        totals[r.candidate] = totals.get(r.candidate, 0.0) + r.score
    if not totals:
        return {}, None
    upper, lower = _groups(totals) if len(totals) >= 2 else ([], [])
    items = {}
    for item, answers in by_item.items():
        candidates = sorted(answers)
        fractions = {c: answers[c].score / answers[c].max_score for c in candidates}
        facility = _mean(list(fractions.values()))
        discrimination = None
        if upper and lower:
            up = [fractions[c] for c in upper if c in fractions]
            low = [fractions[c] for c in lower if c in fractions]
            if up and low:
                discrimination = _mean(up) - _mean(low)
        rest = [totals[c] - answers[c].score for c in candidates]
        pbis = _pearson([fractions[c] for c in candidates], rest)
        counts = Counter(option for c in candidates for option in answers[c].choice)
        items[item] = ItemStats(
            item=item, n=len(candidates), facility=facility, discrimination=discrimination,
            point_biserial=pbis, option_counts=dict(sorted(counts.items())),
            flags=flags(facility, discrimination),
        )
    scores = list(totals.values())
    mean = _mean(scores)
    variance = sum((s - mean) ** 2 for s in scores) / len(scores)
    exam = ExamStats(
        candidates=len(scores), items=len(by_item), mean=mean, sd=math.sqrt(variance),
        minimum=min(scores), maximum=max(scores), alpha=_alpha(by_item, totals, variance),
    )
    return items, exam


@dataclass(frozen=True)
class Pooled:
    """An item's figures over every exam it was in: means weighted by each exam's n."""

    n: int
    exams: int
    facility: float
    discrimination: float | None
    flags: tuple[str, ...] = ()


def pool(figures: Iterable[tuple[int, float, float | None]]) -> Pooled | None:
    """Pool (n, facility, discrimination) of one item from several exams, weighting each by its n;
    discrimination over the exams that had one. None when there is nothing to pool."""
    figures = [f for f in figures if f[0] > 0]
    if not figures:
        return None
    n = sum(f[0] for f in figures)
    facility = sum(f[0] * f[1] for f in figures) / n
    with_d = [f for f in figures if f[2] is not None]
    discrimination = (sum(f[0] * f[2] for f in with_d) / sum(f[0] for f in with_d)) if with_d else None
    return Pooled(n, len(figures), facility, discrimination, flags(facility, discrimination))


def _alpha(by_item: dict[str, dict[str, Response]], totals: dict[str, float],
           total_variance: float) -> float | None:
    """Cronbach's alpha over candidates who answered every item (population variances)."""
    k = len(by_item)
    complete = [c for c in totals if all(c in answers for answers in by_item.values())]
    if k < 2 or len(complete) < 2 or total_variance == 0:
        return None
    item_variance = 0.0
    for answers in by_item.values():
        values = [answers[c].score for c in complete]
        m = _mean(values)
        item_variance += sum((v - m) ** 2 for v in values) / len(values)
    complete_totals = [totals[c] for c in complete]
    m = _mean(complete_totals)
    var_total = sum((t - m) ** 2 for t in complete_totals) / len(complete_totals)
    if var_total == 0:
        return None
    return k / (k - 1) * (1 - item_variance / var_total)
