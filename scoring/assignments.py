"""Who marks what: the referee × task grid and its overview for the administrator, and a referee's
own stations, grouped by event and task, with the next one to mark. Bulk reads (a fixed number of
statements); the writes flush and audit, never commit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from accounts.models import Role, User
from core import audit
from core.errors import DomainError
from registration.models import Event, Registration
from scoring import reads
from scoring.models import Aspect, AspectKind, Assignment, Mark, Scheme, Station, Task
from scoring.services import SignatureState, signature_state


def panel_referees(session: Session, scheme: Scheme) -> list[User]:
    """The rows of the assignment grid: active referees and chief referees, and anyone assigned to
    a task of the scheme."""
    assigned = select(Assignment.referee_id).join(Task, Task.id == Assignment.task_id).where(
        Task.scheme_id == scheme.id)
    return list(session.scalars(select(User).where(
        ((User.role.in_([Role.REFEREE, Role.CHIEF_REFEREE])) & User.active.is_(True)) | User.id.in_(assigned))
        .order_by(User.role.desc(), User.full_name, User.id)))


@dataclass(frozen=True)
class Grid:
    """The referee × task grid and the assignment overview."""

    referees: list[User]
    tasks: list[Task]
    stations: dict[int, int]               # task id → stations drawn
    assigned: dict[tuple[int, int], int]   # (referee id, task id) → stations assigned
    uncovered: dict[int, int]              # task id → stations nobody marks

    def full(self, referee_id: int, task_id: int) -> bool:
        n = self.stations.get(task_id, 0)
        return n > 0 and self.assigned.get((referee_id, task_id), 0) >= n

    def markers(self, task_id: int) -> list[tuple[User, int]]:
        return [(r, self.assigned[(r.id, task_id)]) for r in self.referees if (r.id, task_id) in self.assigned]


def assignment_grid(session: Session, scheme: Scheme) -> Grid:
    """Four statements, whatever the number of referees and candidates."""
    tasks = reads.scheme_tasks(session, scheme)
    ids = [t.id for t in tasks]
    drawn: dict[int, set[int]] = defaultdict(set)
    for task_id, registration_id in session.execute(select(Station.task_id, Station.registration_id)
                                                    .where(Station.task_id.in_(ids))):
        drawn[task_id].add(registration_id)
    assigned: dict[tuple[int, int], int] = defaultdict(int)
    covered: dict[int, set[int]] = defaultdict(set)
    for task_id, referee_id, registration_id in session.execute(select(
            Assignment.task_id, Assignment.referee_id, Assignment.registration_id).where(Assignment.task_id.in_(ids))):
        if registration_id in drawn[task_id]:
            assigned[(referee_id, task_id)] += 1
            covered[task_id].add(registration_id)
    return Grid(referees=panel_referees(session, scheme), tasks=tasks,
                stations={t: len(drawn[t]) for t in ids}, assigned=dict(assigned),
                uncovered={t: len(drawn[t] - covered[t]) for t in ids})


@dataclass(frozen=True)
class GridChange:
    added: int = 0
    removed: int = 0
    skipped: tuple[tuple[str, int, tuple[int, ...]], ...] = ()  # (referee, task number, stations): conflicts


def assign_tasks(session: Session, *, scheme: Scheme, cells: set[tuple[int, int]], actor: User) -> GridChange:
    """Apply the referee × task grid: a ticked cell (referee id, task id) means the referee marks
    every station of the task (the stations they lack are added, except those of candidates from
    their own training centre: conflicts of interest, reported); a cell left unticked that was full
    removes the referee from the task (refused while the task is locked or the referee has entered
    judgement marks in it); an unticked cell of some stations only (assigned one by one) is left as
    it is. A wrong cell changes nothing."""
    if scheme.locked_at is None:
        raise DomainError(_l("Lock the scheme before assigning referees."))
    referees = {r.id: r for r in panel_referees(session, scheme)}
    tasks = {t.id: t for t in reads.scheme_tasks(session, scheme)}
    if any(r not in referees or t not in tasks for r, t in cells):
        raise DomainError(_l("The grid names a referee or a task that is not in this scheme; nothing was changed."))
    drawn: dict[int, dict[int, tuple[int, int | None]]] = defaultdict(dict)  # task → registration → (n, centre)
    for task_id, registration_id, number, centre_id in session.execute(
            select(Station.task_id, Station.registration_id, Station.number, Registration.centre_id)
            .join(Registration, Registration.id == Station.registration_id).where(Station.task_id.in_(list(tasks)))):
        drawn[task_id][registration_id] = (number, centre_id)
    have: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for a in session.scalars(select(Assignment).where(Assignment.task_id.in_(list(tasks)))):
        have[(a.referee_id, a.task_id)].append(a)
    judged = {(slot, task_id) for slot, task_id in session.execute(
        select(Mark.slot, Aspect.task_id).join(Aspect, Mark.aspect_id == Aspect.id).where(
            Aspect.task_id.in_(list(tasks)), Aspect.kind == AspectKind.JUDGEMENT))}
    added = removed = 0
    skipped = []
    for referee_id, referee in referees.items():
        for task_id, task in tasks.items():
            mine = {a.registration_id for a in have[(referee_id, task_id)]}
            stations_ = drawn[task_id]
            full = bool(stations_) and set(stations_) <= mine
            if (referee_id, task_id) in cells and not full:
                if not stations_:
                    raise DomainError(_l("Task %(n)d has no stations yet: draw the station numbers first. Nothing "
                                         "was changed.", n=task.number))
                if referee.role not in (Role.REFEREE, Role.CHIEF_REFEREE):
                    raise DomainError(_l("%(name)s is not a referee.", name=referee.full_name))
                if task.locked_at is not None:
                    raise DomainError(_l("Task %(n)d is locked: marks cannot change.", n=task.number))
                conflicts = tuple(sorted(n for r, (n, centre) in stations_.items() if r not in mine
                                         and referee.centre_id is not None and centre == referee.centre_id))
                new = sorted((n, r) for r, (n, centre) in stations_.items() if r not in mine
                             and not (referee.centre_id is not None and centre == referee.centre_id))
                for _n, registration_id in new:
                    session.add(Assignment(task_id=task_id, referee_id=referee_id, registration_id=registration_id))
                if conflicts:
                    skipped.append((referee.full_name, task.number, conflicts))
                if new:
                    added += len(new)
                    audit.record(session, "scoring.assign", target=scheme, actor=actor,
                                 after={"task": task.number, "referee": referee.username,
                                        "stations": [n for n, _r in new]})
            elif (referee_id, task_id) not in cells and full:
                if task.locked_at is not None:
                    raise DomainError(_l("Task %(n)d is locked: %(name)s cannot be taken off it.", n=task.number,
                                         name=referee.full_name))
                if (referee_id, task_id) in judged:
                    raise DomainError(_l("%(name)s has entered judgement marks in task %(n)d and cannot be taken off "
                                         "it. Nothing was changed.", name=referee.full_name, n=task.number))
                for a in have[(referee_id, task_id)]:
                    session.delete(a)
                removed += len(have[(referee_id, task_id)])
                audit.record(session, "scoring.unassign", target=scheme, actor=actor,
                             after={"task": task.number, "referee": referee.username,
                                    "stations": sorted(stations_[r][0] for r in mine if r in stations_)})
    session.flush()
    return GridChange(added=added, removed=removed, skipped=tuple(skipped))


@dataclass(frozen=True)
class MyStation:
    task: Task
    number: int | None
    state: str


@dataclass(frozen=True)
class MyTask:
    event: Event
    task: Task
    stations: list[MyStation]
    signature: SignatureState

    @property
    def done(self) -> int:
        return sum(s.state in ("complete", "locked") for s in self.stations)


def my_stations(session: Session, referee: User) -> list[MyTask]:
    """A referee's stations under each event's current scheme, grouped by event and task, each with
    its state, and the task's signatures: a fixed number of statements."""
    latest = select(func.max(Scheme.version)).where(Scheme.event_id == Event.id).correlate(Event).scalar_subquery()
    rows = session.execute(
        select(Assignment.registration_id, Task, Event)
        .join(Task, Task.id == Assignment.task_id).join(Scheme, Scheme.id == Task.scheme_id)
        .join(Event, Event.id == Scheme.event_id)
        .where(Assignment.referee_id == referee.id, Scheme.version == latest)
        .options(selectinload(Task.aspects), selectinload(Task.scheme))).all()
    if not rows:
        return []
    tasks = {t.id: t for _r, t, _e in rows}
    marking = reads.load(session, list(tasks.values()), {r for r, _t, _e in rows})
    signatures = signature_state(session, list(tasks.values()))
    grouped: dict[int, list[MyStation]] = defaultdict(list)
    events = {}
    for registration_id, task, event in rows:
        events[task.id] = event
        grouped[task.id].append(MyStation(task, marking.stations.get((task.id, registration_id)),
                                          marking.state(task, registration_id)))
    out = [MyTask(events[tid], tasks[tid], sorted(grouped[tid], key=lambda s: s.number or 0), signatures[tid])
           for tid in grouped]
    out.sort(key=lambda g: (g.event.name, g.event.id, g.task.number))
    return out


def next_station(session: Session, *, task: Task, referee: User, number: int) -> int | None:
    """The referee's next station in the task after `number` (wrapping round) that is not complete."""
    people = list(session.scalars(select(Assignment.registration_id).filter_by(task_id=task.id,
                                                                               referee_id=referee.id)))
    marking = reads.load(session, [task], people)
    waiting = sorted(marking.stations[(task.id, r)] for r in people if (task.id, r) in marking.stations
                     and marking.state(task, r) not in ("complete", "locked"))
    waiting = [n for n in waiting if n != number]
    later = [n for n in waiting if n > number]
    return (later or waiting or [None])[0]
