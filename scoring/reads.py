"""Bulk reads of practical marking: the marks, deductions, flags, referees and stations of a set of
tasks, read in a fixed number of statements however many candidates there are, and the one place
that turns them into a station's state, whether it is complete, what is missing and its score.

`services` builds every page on these (the board, a referee's stations, the lock); other packages
use `practical_totals` and `practical_progress` (one call per event, never one per candidate)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registration.models import Event, Registration, State
from scoring import rules
from scoring.models import (
    Aspect,
    AspectKind,
    Assignment,
    Flag,
    FlagStatus,
    Mark,
    MarkStatus,
    Scheme,
    Station,
    Task,
    Violation,
)

Key = tuple[int, int]  # (task id, registration id)


def counts(mark: Mark, scheme: Scheme) -> bool:
    """A mark counts once its referee has submitted it and, under the two-person rule, a second
    person has confirmed it."""
    return mark.status is MarkStatus.SUBMITTED and (not scheme.two_person or mark.confirmed_by_id is not None)


def aspect_mark(aspect: Aspect, marks: Sequence[Mark], violations: Sequence[Violation]) -> Decimal | None:
    """An aspect's mark from a candidate's marks and deductions (None: nothing counts yet)."""
    scheme = aspect.task.scheme
    mine = [m for m in marks if m.aspect_id == aspect.id and counts(m, scheme)]
    if aspect.kind is AspectKind.DEDUCTION:
        return rules.deduction_mark([v.points for v in violations if v.aspect_id == aspect.id],
                                    max_points=aspect.max_points)
    if not mine:
        return None
    if aspect.kind is AspectKind.JUDGEMENT:
        return rules.judgement_mark([m.value for m in mine], max_points=aspect.max_points)
    return rules.money(mine[0].value)


@dataclass
class Marking:
    """What was read for some tasks (and optionally some candidates), keyed by (task id,
    registration id). Every method below is computed from it, without another statement."""

    tasks: list[Task]
    marks: dict[Key, list[Mark]] = field(default_factory=lambda: defaultdict(list))
    violations: dict[Key, list[Violation]] = field(default_factory=lambda: defaultdict(list))
    flags: dict[Key, list[Flag]] = field(default_factory=lambda: defaultdict(list))
    referees: dict[Key, list[int]] = field(default_factory=lambda: defaultdict(list))  # assigned referee ids
    stations: dict[Key, int] = field(default_factory=dict)  # the station number

    def complete(self, task: Task, registration_id: int) -> bool:
        """Every mark the task needs counts: the shared measurement marks, and a judgement score
        from every referee assigned to the station (a task of deductions only: once staffed)."""
        key = (task.id, registration_id)
        referees = self.referees.get(key, [])
        if not referees:
            return False
        counted = {(m.aspect_id, m.slot) for m in self.marks.get(key, []) if counts(m, task.scheme)}
        for aspect in task.aspects:
            if aspect.kind is AspectKind.MEASUREMENT and (aspect.id, 0) not in counted:
                return False
            if aspect.kind is AspectKind.JUDGEMENT and any((aspect.id, r) not in counted for r in referees):
                return False
        return True

    def unsettled(self, task: Task, registration_id: int) -> list[Flag]:
        """Divergence flags still open or sent back for re-marking."""
        return [f for f in self.flags.get((task.id, registration_id), []) if f.status is not FlagStatus.CONFIRMED]

    def state(self, task: Task, registration_id: int) -> str:
        """not_started, in_progress, flagged, complete or locked."""
        if task.locked_at is not None:
            return "locked"
        if self.unsettled(task, registration_id):
            return "flagged"
        key = (task.id, registration_id)
        markable = any(a.kind in (AspectKind.MEASUREMENT, AspectKind.JUDGEMENT) for a in task.aspects)
        # A task of deductions only has nothing to mark: it is complete once it has its referees.
        if not self.marks.get(key) and (markable or not self.referees.get(key)):
            return "not_started"
        return "complete" if self.complete(task, registration_id) else "in_progress"

    def missing(self, task: Task, registration_id: int) -> int:
        """How many marks the station still lacks (not entered, not submitted or not confirmed):
        one per measurement aspect, one per judgement aspect and referee assigned (the aspect's
        number of referees while nobody is)."""
        key = (task.id, registration_id)
        referees = self.referees.get(key, [])
        counted = {(m.aspect_id, m.slot) for m in self.marks.get(key, []) if counts(m, task.scheme)}
        n = 0
        for aspect in task.aspects:
            if aspect.kind is AspectKind.MEASUREMENT:
                n += (aspect.id, 0) not in counted
            elif aspect.kind is AspectKind.JUDGEMENT:
                if referees:
                    n += sum((aspect.id, r) not in counted for r in referees)
                else:
                    n += max(aspect.judges - sum(1 for a, _s in counted if a == aspect.id), 0)
        return n

    def score(self, task: Task, registration_id: int) -> Decimal:
        """The task score from what counts now (an aspect with nothing counted adds 0)."""
        key = (task.id, registration_id)
        marks, violations = self.marks.get(key, []), self.violations.get(key, [])
        return rules.money(sum((aspect_mark(a, marks, violations) or Decimal(0) for a in task.aspects), Decimal(0)))

    def final_score(self, task: Task, registration_id: int) -> Decimal | None:
        """The task score once it is complete and no divergence is unsettled, else None."""
        if not self.complete(task, registration_id) or self.unsettled(task, registration_id):
            return None
        return self.score(task, registration_id)


def scheme_tasks(session: Session, scheme: Scheme) -> list[Task]:
    """The scheme's tasks with their aspects (two statements)."""
    return list(session.scalars(select(Task).where(Task.scheme_id == scheme.id).order_by(Task.number)
                                .options(selectinload(Task.aspects))))


def load(session: Session, tasks: Sequence[Task], registration_ids: Iterable[int] | None = None) -> Marking:
    """Read the marking of `tasks` (for `registration_ids` only, when given): five statements."""
    out = Marking(tasks=list(tasks))
    ids = [t.id for t in tasks]
    if not ids:
        return out
    people = None if registration_ids is None else sorted(set(registration_ids))
    if people is not None and not people:
        return out

    def only(query, column):
        return query if people is None else query.where(column.in_(people))

    for mark, task_id in session.execute(only(select(Mark, Aspect.task_id).join(Aspect, Mark.aspect_id == Aspect.id)
                                              .where(Aspect.task_id.in_(ids)), Mark.registration_id)):
        out.marks[(task_id, mark.registration_id)].append(mark)
    for violation, task_id in session.execute(only(
            select(Violation, Aspect.task_id).join(Aspect, Violation.aspect_id == Aspect.id)
            .where(Aspect.task_id.in_(ids)).order_by(Violation.id), Violation.registration_id)):
        out.violations[(task_id, violation.registration_id)].append(violation)
    for flag, task_id in session.execute(only(select(Flag, Aspect.task_id).join(Aspect, Flag.aspect_id == Aspect.id)
                                              .where(Aspect.task_id.in_(ids)), Flag.registration_id)):
        out.flags[(task_id, flag.registration_id)].append(flag)
    for task_id, registration_id, referee_id in session.execute(only(
            select(Assignment.task_id, Assignment.registration_id, Assignment.referee_id)
            .where(Assignment.task_id.in_(ids)).order_by(Assignment.id), Assignment.registration_id)):
        out.referees[(task_id, registration_id)].append(referee_id)
    for task_id, registration_id, number in session.execute(only(
            select(Station.task_id, Station.registration_id, Station.number).where(Station.task_id.in_(ids)),
            Station.registration_id)):
        out.stations[(task_id, registration_id)] = number
    return out


def current_scheme(session: Session, event: Event) -> Scheme | None:
    return session.scalar(select(Scheme).filter_by(event_id=event.id).order_by(Scheme.version.desc()).limit(1))


def enrolled_ids(session: Session, event: Event) -> list[int]:
    return list(session.scalars(select(Registration.id).where(Registration.event_id == event.id,
                                                              Registration.state == State.ENROLLED)
                                .order_by(Registration.candidate_number)))


# --- for other packages ------------------------------------------------------------------------


def practical_totals(session: Session, event: Event) -> dict[int, Decimal | None]:
    """Each enrolled candidate's practical total under the event's current scheme, by registration
    id: None while any task score is missing (marks not all in and counted, nobody assigned, or a
    divergence unsettled). No blind marking here: a caller that shows it to the panel applies
    services.blind. Ten statements, whatever the number of candidates."""
    scheme = current_scheme(session, event)
    people = enrolled_ids(session, event)
    if scheme is None:
        return dict.fromkeys(people)
    tasks = scheme_tasks(session, scheme)
    marking = load(session, tasks)
    totals: dict[int, Decimal | None] = {}
    for registration_id in people:
        scores = [marking.final_score(t, registration_id) for t in tasks]
        totals[registration_id] = None if not tasks or None in scores else rules.money(sum(scores, Decimal(0)))
    return totals


@dataclass(frozen=True)
class PracticalProgress:
    tasks: int = 0
    tasks_locked: int = 0
    stations_drawn: int = 0
    marks_missing: int = 0  # over the stations drawn (see Marking.missing)
    open_flags: int = 0     # divergences open or sent back for re-marking
    scheme_locked: bool = False
    # (task number, name, mean of the final scores in, maximum), for a chart
    task_means: tuple[tuple[int, str, Decimal | None, Decimal], ...] = ()


def practical_progress(session: Session, event: Event) -> PracticalProgress:
    """Counts of the practical's marking under the event's current scheme, for a dashboard: a
    fixed number of statements."""
    scheme = current_scheme(session, event)
    if scheme is None:
        return PracticalProgress()
    tasks = scheme_tasks(session, scheme)
    marking = load(session, tasks)
    by_id = {t.id: t for t in tasks}
    return PracticalProgress(
        tasks=len(tasks),
        tasks_locked=sum(t.locked_at is not None for t in tasks),
        stations_drawn=len(marking.stations),
        marks_missing=sum(marking.missing(by_id[t], r) for t, r in marking.stations),
        open_flags=sum(len(marking.unsettled(by_id[t], r)) for t, r in marking.flags),
        scheme_locked=scheme.locked_at is not None,
        task_means=tuple((t.number, t.name, _mean([marking.final_score(t, r) for task_id, r in marking.stations
                                                    if task_id == t.id]), t.max_points) for t in tasks),
    )


def _mean(scores: list[Decimal | None]) -> Decimal | None:
    known = [s for s in scores if s is not None]
    return rules.money(sum(known, Decimal(0)) / len(known)) if known else None
