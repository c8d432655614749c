"""Pure rules of practical scoring (after the WorldSkills way of marking): scheme sums, the three
aspect kinds' arithmetic, the divergence flag, trimmed means, digests. No Flask, no database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
JUDGEMENT_MAX = 3  # each referee scores a judgement aspect 0-3


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class AspectKind(StrEnum):
    MEASUREMENT = "measurement"  # objective: full marks or zero, or a scale with a step
    JUDGEMENT = "judgement"      # subjective: N referees score 0-3; the mean scaled to the maximum
    DEDUCTION = "deduction"      # from the maximum, minus each recorded violation, never below zero


# --- the six tasks of the practical (seed 002, 4.3.2), with a default split of 100 points ------

DEFAULT_TASKS = (
    (1, "工业网络规划设计与调试", "完成工业网络规划设计、设备配置调试及网络安全策略部署。", Decimal(20)),
    (2, "智能产线虚拟仿真与手动调试",
     "利用仿真软件进行智能产线虚拟仿真，完成 PLC 与人机交互程序编写及手动调试。", Decimal(20)),
    (3, "工业互联网智能部署", "编写通信程序，完成数字孪生、工业网关部署、边缘计算及数据可视化界面设计。", Decimal(25)),
    (4, "工业互联网智能运维", "完成工业网络故障定位排除、产线故障报警处理。", Decimal(15)),
    (5, "工业互联网 APP 开发", "搭建传感器数据采集接口，完成数据采集配置与可视化页面设计。", Decimal(15)),
    (6, "职业素养与安全意识", "遵守赛场纪律与操作规范，保持工位整洁，爱护设备并尊重裁判。", Decimal(5)),
)


# --- scheme validation -------------------------------------------------------------------------


@dataclass(frozen=True)
class AspectSpec:
    code: str
    kind: str
    max_points: Decimal
    step: Decimal | None = None  # measurement: None means full marks or zero
    judges: int = 3


@dataclass(frozen=True)
class TaskSpec:
    number: int
    max_points: Decimal
    aspects: tuple[AspectSpec, ...]


def scheme_problems(tasks: Sequence[TaskSpec], total: Decimal) -> list[tuple[str, dict]]:
    """(problem code, parameters) for every sum or aspect that does not add up."""
    problems = []
    task_sum = sum((t.max_points for t in tasks), Decimal(0))
    if task_sum != total:
        problems.append(("tasks_sum", {"sum": task_sum, "total": total}))
    for task in tasks:
        aspect_sum = sum((a.max_points for a in task.aspects), Decimal(0))
        if aspect_sum != task.max_points:
            problems.append(("aspects_sum", {"task": task.number, "sum": aspect_sum, "max": task.max_points}))
        for aspect in task.aspects:
            if aspect.max_points <= 0:
                problems.append(("aspect_max", {"aspect": aspect.code}))
            if aspect.kind == AspectKind.MEASUREMENT and aspect.step is not None:
                if aspect.step <= 0 or (aspect.max_points / aspect.step) % 1 != 0:
                    problems.append(("aspect_step", {"aspect": aspect.code}))
            if aspect.kind == AspectKind.JUDGEMENT and not 1 <= aspect.judges <= 9:
                problems.append(("aspect_judges", {"aspect": aspect.code}))
    return problems


# --- one mark's validity -----------------------------------------------------------------------


def value_problem(kind: str, value: Decimal, *, max_points: Decimal, step: Decimal | None) -> str | None:
    """Why a referee's entry is not acceptable for the aspect (None when it is)."""
    if kind == AspectKind.JUDGEMENT:
        if value < 0 or value > JUDGEMENT_MAX or value % 1 != 0:
            return "judgement_range"
        return None
    if kind == AspectKind.MEASUREMENT:
        if value < 0 or value > max_points:
            return "out_of_range"
        if step is None:
            return None if value in (0, max_points) else "all_or_nothing"
        return None if (value / step) % 1 == 0 else "wrong_step"
    if kind == AspectKind.DEDUCTION:
        return None if 0 < value <= max_points else "deduction_range"
    return "unknown_kind"


# --- an aspect's mark --------------------------------------------------------------------------


def judgement_mark(scores: Sequence[Decimal], *, max_points: Decimal) -> Decimal:
    """The mean of the referees' 0-3 scores, scaled to the aspect's maximum."""
    if not scores:
        return money(0)
    mean = sum(scores, Decimal(0)) / len(scores)
    return money(mean / JUDGEMENT_MAX * max_points)


def deduction_mark(deductions: Iterable[Decimal], *, max_points: Decimal) -> Decimal:
    return money(max(Decimal(0), max_points - sum(deductions, Decimal(0))))


def diverges(scores: Sequence[Decimal], *, gap: Decimal) -> bool:
    """Two judgement scores for one aspect further apart than `gap` need the chief referee."""
    return len(scores) >= 2 and max(scores) - min(scores) > gap


def trimmed_mean(scores: Sequence[Decimal]) -> Decimal:
    """The experts' mean; with five or more experts the highest and lowest are dropped first."""
    if not scores:
        return money(0)
    ordered = sorted(scores)
    if len(ordered) >= 5:
        ordered = ordered[1:-1]
    return money(sum(ordered, Decimal(0)) / len(ordered))


def digest(marks: Iterable[tuple]) -> str:
    """A digest of the marks a stage signed: any later change shows as a mismatch."""
    body = json.dumps(sorted([list(map(str, m)) for m in marks]), separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


# --- referees against the panel ----------------------------------------------------------------


@dataclass(frozen=True)
class RefereeStats:
    referee: str
    n: int
    mean: float
    spread: float
    panel_mean: float


def referee_stats(scores: Sequence[tuple[str, str, float]]) -> list[RefereeStats]:
    """(referee, item, score) judgement scores → each referee's mean and spread beside the panel's
    mean on the same items. Information for the chief referee; never applied to marks."""
    by_item: dict[str, list[float]] = {}
    for _ref, item, score in scores:
        by_item.setdefault(item, []).append(score)
    out = []
    for referee in sorted({r for r, _i, _s in scores}):
        mine = [(item, s) for r, item, s in scores if r == referee]
        values = [s for _i, s in mine]
        mean = sum(values) / len(values)
        spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
        panel = sum(sum(by_item[i]) / len(by_item[i]) for i, _s in mine) / len(mine)
        out.append(RefereeStats(referee, len(values), mean, spread, panel))
    return out
