"""Practical scoring services: schemes, stations and assignments, mark entry, flags, locks and
sign-offs, scores and the progress board. They flush and audit; they never commit."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from accounts.models import Role, User
from core import audit
from core.audit import AuditLog
from core.errors import Conflict, DomainError, NotAllowed
from core.forms import number_problem
from core.notify import notify, path_for
from registration.models import Event, Registration, State
from scoring import reads, rules
from scoring.models import (
    Aspect,
    AspectKind,
    Assignment,
    Flag,
    FlagStatus,
    Mark,
    MarkStatus,
    Scheme,
    SignOff,
    Station,
    Task,
    Violation,
)
from scoring.reads import aspect_mark, counts  # noqa: F401 (the rules of a mark, used by documents and pages)

audit.describe({
    "mark.create": _l("Mark entered"), "mark.update": _l("Mark changed"), "mark.confirm": _l("Marks submitted"),
    "mark.violation": _l("Violation recorded"), "flag.confirm": _l("Divergence confirmed by the chief referee"),
    "flag.remark": _l("Re-mark requested by the chief referee"),
    "scheme.create": _l("Marking scheme created"), "scheme.import": _l("Marking scheme imported"),
    "scheme.task": _l("Task changed"), "scheme.aspect": _l("Aspect changed"),
    "scheme.aspect_delete": _l("Aspect deleted"), "scheme.lock": _l("Marking scheme locked"),
    "scheme.new_version": _l("Marking scheme: new version"), "scheme.two_person": _l("Two-referee rule changed"),
    "scoring.assign": _l("Referee assigned"), "scoring.unassign": _l("Referee assignment removed"),
    "scoring.draw_stations": _l("Stations drawn"),
    "scoring.lock": _l("Task locked"), "scoring.unlock": _l("Task unlocked"),
    "scoring.sign_referee": _l("Signed by the referees"), "scoring.sign_chief": _l("Signed by the chief referee"),
    "scoring.sign_supervisor": _l("Signed by the supervisor"),
    "video.submit": _l("Teaching video submitted"), "video.score": _l("Video scored"),
    "video.expert": _l("Video expert assigned"),
})

VALUE_MESSAGES = {
    "judgement_range": _l("A judgement score is a whole number from 0 to 3."),
    "out_of_range": _l("The mark must be between 0 and %(max)s."),
    "all_or_nothing": _l("This aspect is marked all or nothing: %(max)s or 0."),
    "wrong_step": _l("The mark must be a multiple of %(step)s."),
    "deduction_range": _l("A deduction is more than 0 and at most %(max)s."),
}
SCHEME_MESSAGES = {
    "tasks_sum": _l("The tasks add up to %(sum)s, not the event's total of %(total)s."),
    "aspects_sum": _l("The aspects of task %(task)s add up to %(sum)s, not the task's %(max)s."),
    "aspect_max": _l("Aspect %(aspect)s needs a maximum above 0."),
    "aspect_step": _l("Aspect %(aspect)s: the step must divide the maximum."),
    "aspect_judges": _l("Aspect %(aspect)s: 1 to 9 referees."),
}


# --- schemes -----------------------------------------------------------------------------------


def default_aspects(number: int, points: Decimal) -> list[dict]:
    """A starting breakdown: tasks 1-5 measured (60 % on a 1-point scale, 20 % all or nothing) and
    judged (20 %); task 6 is a deduction aspect."""
    if number == 6:
        return [{"code": "6.1", "title": "职业素养与安全：违规扣分", "kind": AspectKind.DEDUCTION,
                 "max_points": points}]
    return [
        {"code": f"{number}.1", "title": "任务功能实现", "kind": AspectKind.MEASUREMENT,
         "max_points": points * Decimal("0.6"), "step": Decimal(1)},
        {"code": f"{number}.2", "title": "配置与操作规范", "kind": AspectKind.MEASUREMENT,
         "max_points": points * Decimal("0.2"), "step": None},
        {"code": f"{number}.3", "title": "方案与工艺质量", "kind": AspectKind.JUDGEMENT,
         "max_points": points * Decimal("0.2"), "judges": 3},
    ]


def create_scheme(session: Session, *, event: Event, actor: User | None) -> Scheme:
    """The event's scheme, seeded with the six tasks of the service guide and a default split."""
    if session.scalar(select(Scheme).filter_by(event_id=event.id)) is not None:
        raise DomainError(_l("This event already has a marking scheme."))
    scheme = Scheme(event=event, version=1, total=Decimal(100))
    for number, name, description, points in rules.DEFAULT_TASKS:
        task = Task(number=number, name=name, description=description, max_points=points)
        task.aspects = [Aspect(position=i, **a) for i, a in enumerate(default_aspects(number, points), start=1)]
        scheme.tasks.append(task)
    session.add(scheme)
    session.flush()
    audit.record(session, "scheme.create", target=scheme, actor=actor)
    return scheme


def current_scheme(session: Session, event: Event) -> Scheme | None:
    return reads.current_scheme(session, event)


def scheme_problems(scheme: Scheme) -> list[str]:
    specs = [rules.TaskSpec(t.number, t.max_points, tuple(
        rules.AspectSpec(a.code, a.kind.value, a.max_points, a.step, a.judges) for a in t.aspects))
        for t in scheme.tasks]
    return [str(SCHEME_MESSAGES[code]) % params for code, params in rules.scheme_problems(specs, scheme.total)]


def _editable(scheme: Scheme) -> None:
    if scheme.locked_at is not None:
        raise DomainError(_l("The scheme is locked; make a new version to change it."))


def save_task(session: Session, *, task: Task, name: str, max_points: Decimal, actor: User) -> None:
    _editable(task.scheme)
    before = {"name": task.name, "max_points": task.max_points}
    task.name, task.max_points = name, max_points
    audit.record(session, "scheme.task", target=task.scheme, actor=actor, before=before,
                 after={"name": name, "max_points": max_points})


def save_aspect(session: Session, *, task: Task, aspect: Aspect | None, fields: dict, actor: User) -> Aspect:
    _editable(task.scheme)
    before = None if aspect is None else {k: getattr(aspect, k) for k in fields}
    if aspect is None:
        aspect = Aspect(task=task, position=len(task.aspects) + 1)
        session.add(aspect)
    for key, value in fields.items():
        setattr(aspect, key, value)
    session.flush()
    audit.record(session, "scheme.aspect", target=task.scheme, actor=actor, before=before, after=fields)
    return aspect


def delete_aspect(session: Session, *, aspect: Aspect, actor: User) -> None:
    _editable(aspect.task.scheme)
    aspect.task.aspects.remove(aspect)
    audit.record(session, "scheme.aspect_delete", target=aspect.task.scheme, actor=actor, after={"code": aspect.code})


def lock_scheme(session: Session, *, scheme: Scheme, actor: User, now: datetime) -> None:
    problems = scheme_problems(scheme)
    if problems:
        raise DomainError(" ".join(problems))
    scheme.locked_at = now
    audit.record(session, "scheme.lock", target=scheme, actor=actor)


# --- stations and referees ---------------------------------------------------------------------


def enrolled(session: Session, event: Event) -> list[Registration]:
    return session.scalars(select(Registration).where(Registration.event_id == event.id,
                                                      Registration.state == State.ENROLLED)
                           .order_by(Registration.candidate_number)).all()


def draw_stations(session: Session, *, scheme: Scheme, actor: User, seed: str | None = None) -> int:
    """Draw each task's station numbers at random for the enrolled candidates who have none yet."""
    if scheme.locked_at is None:
        raise DomainError(_l("Lock the scheme before drawing stations."))
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    people = enrolled(session, scheme.event)
    drawn = 0
    for task in scheme.tasks:
        have = {s.registration_id: s.number for s in session.scalars(select(Station).filter_by(task_id=task.id))}
        waiting = [r for r in people if r.id not in have]
        free = [n for n in range(1, len(people) + 1) if n not in set(have.values())]
        rng.shuffle(free)
        for registration, number in zip(waiting, free, strict=False):
            session.add(Station(task=task, registration_id=registration.id, number=number))
            drawn += 1
    session.flush()
    audit.record(session, "scoring.draw_stations", target=scheme, actor=actor, after={"drawn": drawn})
    return drawn


def station_of(session: Session, task: Task, registration: Registration) -> Station | None:
    return session.scalar(select(Station).filter_by(task_id=task.id, registration_id=registration.id))


def registration_at(session: Session, task: Task, number: int) -> Registration | None:
    station = session.scalar(select(Station).filter_by(task_id=task.id, number=number))
    return station.registration if station else None


def assign(session: Session, *, task: Task, referee: User, stations: list[int], actor: User) -> int:
    """Assign a referee to a task's stations; refused whole when the referee comes from the training
    centre of any of those candidates (conflict of interest)."""
    if referee.role not in (Role.REFEREE, Role.CHIEF_REFEREE):
        raise DomainError(_l("%(name)s is not a referee.", name=referee.full_name))
    targets = []
    for number in stations:
        registration = registration_at(session, task, number)
        if registration is None:
            raise DomainError(_l("Task %(task)d has no station %(n)d.", task=task.number, n=number))
        if referee.centre_id is not None and registration.centre_id == referee.centre_id:
            raise Conflict(_l("Conflict of interest: %(referee)s comes from the training centre of the candidate at "
                              "station %(n)d and cannot mark them. Nothing was assigned.",
                              referee=referee.full_name, n=number))
        targets.append(registration)
    have = set(session.scalars(select(Assignment.registration_id).filter_by(task_id=task.id, referee_id=referee.id)))
    added = 0
    for registration in targets:
        if registration.id not in have:
            session.add(Assignment(task_id=task.id, referee_id=referee.id, registration_id=registration.id))
            added += 1
    session.flush()
    audit.record(session, "scoring.assign", target=task.scheme, actor=actor,
                 after={"task": task.number, "referee": referee.username, "stations": stations})
    return added


def is_assigned(session: Session, task: Task, referee: User, registration: Registration) -> bool:
    return session.scalar(select(Assignment.id).filter_by(task_id=task.id, referee_id=referee.id,
                                                          registration_id=registration.id)) is not None


def referees_of(session: Session, task: Task, registration: Registration) -> list[User]:
    return list(session.scalars(select(User).join(Assignment, Assignment.referee_id == User.id).where(
        Assignment.task_id == task.id, Assignment.registration_id == registration.id).order_by(Assignment.id)))


# --- marks -------------------------------------------------------------------------------------


def _marks(session: Session, task: Task, registration: Registration) -> list[Mark]:
    return session.scalars(select(Mark).join(Aspect).where(Aspect.task_id == task.id,
                                                           Mark.registration_id == registration.id)).all()


def _check_open(task: Task) -> None:
    if task.scheme.locked_at is None:
        raise DomainError(_l("The marking scheme is not locked yet; marks cannot be entered."))
    if task.locked_at is not None:
        raise DomainError(_l("Task %(n)d is locked: marks cannot change.", n=task.number))


def parse_value(raw) -> Decimal | None:
    """A mark as typed, or None when it is not a usable number (text, NaN, infinite, too large)."""
    try:
        value = Decimal(str(raw).strip()) if raw not in (None, "") else None
    except InvalidOperation:
        return None
    return None if value is None or number_problem(value) else value


def save_marks(session: Session, *, task: Task, registration: Registration, referee: User,
               entries: dict[int, tuple[str, int | None]], submit: bool, now: datetime) -> list[Mark]:
    """Save a referee's marks for one candidate's task (aspect id → (value, version seen)). Every
    value is checked first; if any is wrong nothing is saved. A measurement mark is shared: saving
    over a version the referee did not see is refused, so no update is lost."""
    _check_open(task)
    if not is_assigned(session, task, referee, registration):
        raise NotAllowed(_l("You are not assigned to this station."))
    aspects = {a.id: a for a in task.aspects if a.kind is not AspectKind.DEDUCTION}
    problems: dict[int, str] = {}
    values: dict[int, Decimal] = {}
    for aspect_id, (raw, _version) in entries.items():
        aspect = aspects.get(aspect_id)
        if aspect is None:
            continue
        value = parse_value(raw)
        if value is None:
            if raw not in (None, ""):
                problems[aspect_id] = str(_l("Not a number."))
            continue
        problem = rules.value_problem(aspect.kind.value, value, max_points=aspect.max_points, step=aspect.step)
        if problem:
            problems[aspect_id] = str(VALUE_MESSAGES[problem]) % {"max": aspect.max_points, "step": aspect.step}
        values[aspect_id] = value
    if problems:
        raise InvalidMarks(problems)
    if submit:
        missing = [a.code for a in aspects.values() if a.id not in values]
        if missing:
            raise InvalidMarks({}, _l("Enter every aspect before submitting: %(codes)s.", codes=", ".join(missing)))
    existing = {(m.aspect_id, m.slot): m for m in _marks(session, task, registration)}
    saved = []
    for aspect_id, value in values.items():
        aspect = aspects[aspect_id]
        slot = referee.id if aspect.kind is AspectKind.JUDGEMENT else 0
        mark = existing.get((aspect_id, slot))
        seen = entries[aspect_id][1]
        if mark is None:
            mark = Mark(aspect_id=aspect_id, registration_id=registration.id, slot=slot, value=value,
                        referee_id=referee.id, updated_at=now,
                        status=MarkStatus.SUBMITTED if submit else MarkStatus.DRAFT)
            session.add(mark)
            audit.record(session, "mark.create", target=registration, actor=referee,
                         after={"aspect": aspect.code, "value": value, "status": mark.status.value})
        else:
            if seen is not None and seen != mark.version:
                raise Conflict(_l("Aspect %(code)s was changed by %(who)s at %(time)s while you were editing. Reload "
                                  "the page to see the current mark; nothing was saved.", code=aspect.code,
                                  who=mark.referee.full_name, time=format_datetime(mark.updated_at, "HH:mm:ss")))
            old = (mark.value, mark.status.value)
            new_status = MarkStatus.SUBMITTED if submit else mark.status
            if old != (value, new_status.value):
                mark.value, mark.status, mark.referee_id, mark.updated_at = value, new_status, referee.id, now
                mark.confirmed_by_id = None  # a changed mark needs confirming again
                audit.record(session, "mark.update", target=registration, actor=referee,
                             before={"aspect": aspect.code, "value": old[0], "status": old[1]},
                             after={"aspect": aspect.code, "value": value, "status": new_status.value})
        saved.append(mark)
    try:
        session.flush()
    except StaleDataError as exc:  # another request changed the same row between our read and write
        raise Conflict(_l("Another referee saved this mark at the same moment. Reload the page; nothing was "
                          "saved.")) from exc
    _refresh_flags(session, task, registration, now)
    return saved


class InvalidMarks(DomainError):
    def __init__(self, problems: dict[int, str], message=None):
        self.problems = problems
        super().__init__(message or _l("Some marks are not acceptable; nothing was saved."))


def add_violation(session: Session, *, aspect: Aspect, registration: Registration, referee: User,
                  points: Decimal, reason: str, now: datetime) -> Violation:
    _check_open(aspect.task)
    if not is_assigned(session, aspect.task, referee, registration):
        raise NotAllowed(_l("You are not assigned to this station."))
    problem = rules.value_problem(aspect.kind.value, points, max_points=aspect.max_points, step=None)
    if problem:
        raise DomainError(str(VALUE_MESSAGES[problem]) % {"max": aspect.max_points, "step": None}, field="points")
    if not reason.strip():
        raise DomainError(_l("Record the reason for the deduction."), field="reason")
    violation = Violation(aspect_id=aspect.id, registration_id=registration.id, points=points, reason=reason.strip(),
                          referee_id=referee.id, at=now)
    session.add(violation)
    audit.record(session, "mark.violation", target=registration, actor=referee,
                 after={"aspect": aspect.code, "points": points, "reason": reason})
    return violation


# --- divergence flags --------------------------------------------------------------------------


def _refresh_flags(session: Session, task: Task, registration: Registration, now: datetime) -> None:
    """Flag a judgement aspect whose submitted scores differ by more than the scheme's gap."""
    marks = _marks(session, task, registration)
    for aspect in task.aspects:
        if aspect.kind is not AspectKind.JUDGEMENT:
            continue
        scores = [m.value for m in marks if m.aspect_id == aspect.id and m.status is MarkStatus.SUBMITTED]
        flag = session.scalar(select(Flag).filter_by(aspect_id=aspect.id, registration_id=registration.id))
        if rules.diverges(scores, gap=task.scheme.gap):
            if flag is None:
                session.add(Flag(aspect_id=aspect.id, registration_id=registration.id, raised_at=now))
            elif flag.status is FlagStatus.REMARK and all(
                    m.status is MarkStatus.SUBMITTED for m in marks if m.aspect_id == aspect.id):
                flag.status, flag.raised_at = FlagStatus.OPEN, now  # re-marked and still apart
        elif flag is not None and flag.status is FlagStatus.REMARK:
            flag.status, flag.decided_at = FlagStatus.CONFIRMED, now
            flag.note = (flag.note + " " + str(_l("(resolved by re-marking)"))).strip()
    session.flush()


def decide_flag(session: Session, *, flag: Flag, decision: str, note: str, chief: User, now: datetime) -> None:
    """The chief referee confirms the divergent marks or sends the aspect back for re-marking."""
    if chief.role is not Role.CHIEF_REFEREE:
        raise NotAllowed(_l("Only the chief referee decides on divergent marks."))
    if flag.status is not FlagStatus.OPEN:
        raise DomainError(_l("This flag has been decided already."))
    _check_open(flag.aspect.task)
    if decision == "confirm":
        flag.status = FlagStatus.CONFIRMED
    elif decision == "remark":
        flag.status = FlagStatus.REMARK
        for mark in session.scalars(select(Mark).filter_by(aspect_id=flag.aspect_id,
                                                           registration_id=flag.registration_id)):
            mark.status = MarkStatus.DRAFT
    else:
        raise DomainError(_l("Unknown decision."))
    flag.decided_at, flag.decided_by_id, flag.note = now, chief.id, note[:500]
    audit.record(session, f"flag.{decision}", target=flag.aspect.task.scheme, actor=chief, comment=note,
                 after={"aspect": flag.aspect.code, "registration": flag.registration_id})
    if decision == "remark":
        _tell_referees_to_remark(session, flag)


def _tell_referees_to_remark(session: Session, flag: Flag) -> None:
    """Each referee of the flag's station is told, by station number only (blind marking), with the
    chief referee's note and a link to the entry page."""
    task = flag.aspect.task
    number = session.scalar(select(Station.number).filter_by(task_id=task.id, registration_id=flag.registration_id))
    if number is None:
        return
    link = path_for("scoring.entry", task_id=task.id, number=number)
    subject = str(_l("Re-mark requested: task %(task)d, station %(n)d", task=task.number, n=number))
    body = str(_l("The chief referee asks the referees of station %(n)d to mark aspect %(code)s %(title)s of task "
                  "%(task)d again and to submit the marks once more.", n=number, code=flag.aspect.code,
                  title=flag.aspect.title, task=task.number))
    if flag.note:
        body += "\n" + str(_l("The chief referee's note: %(note)s", note=flag.note))
    for referee in session.scalars(select(User).join(Assignment, Assignment.referee_id == User.id).where(
            Assignment.task_id == task.id, Assignment.registration_id == flag.registration_id).order_by(User.id)):
        notify(session, email=referee.email, user=referee, subject=subject, body=body, link=link)


def remark_requests(session: Session, task: Task, registration: Registration) -> list[Flag]:
    """The chief referee's open requests to mark an aspect of this station again."""
    return list(session.scalars(select(Flag).join(Aspect).where(
        Aspect.task_id == task.id, Flag.registration_id == registration.id, Flag.status == FlagStatus.REMARK)
        .order_by(Aspect.position)))


def flag_cards(session: Session, scheme: Scheme, viewer: User) -> list[dict]:
    """The divergences the chief referee has to decide or has sent back, each with its task, station
    number, aspect and every referee's mark by name (the chief's panel), and the candidate's public
    id for a link to their marks page only where the task is not blind for `viewer` (the link would
    tie the station to the candidate). Three statements, whatever the number of flags."""
    rows = session.execute(
        select(Flag, Aspect, Task, Station.number, Registration.public_id)
        .join(Aspect, Flag.aspect_id == Aspect.id).join(Task, Aspect.task_id == Task.id)
        .join(Registration, Registration.id == Flag.registration_id)
        .outerjoin(Station, (Station.task_id == Task.id) & (Station.registration_id == Flag.registration_id))
        .where(Task.scheme_id == scheme.id, Flag.status != FlagStatus.CONFIRMED)
        .order_by(Task.number, Station.number, Aspect.position)).all()
    if not rows:
        return []
    aspect_ids = {f.aspect_id for f, *_rest in rows}
    people = {f.registration_id for f, *_rest in rows}
    marks: dict[tuple[int, int], list[tuple[str, Mark]]] = defaultdict(list)
    for mark, name in session.execute(select(Mark, User.full_name).join(User, User.id == Mark.slot).where(
            Mark.aspect_id.in_(aspect_ids), Mark.registration_id.in_(people)).order_by(User.full_name)):
        marks[(mark.aspect_id, mark.registration_id)].append((name, mark))
    return [{"flag": flag, "aspect": aspect, "task": task, "station": number,
             "marks": marks[(flag.aspect_id, flag.registration_id)],
             "candidate": None if blind(task, viewer) else public_id}
            for flag, aspect, task, number, public_id in rows]


# --- scores ------------------------------------------------------------------------------------


def marks_of(session: Session, task: Task, registration: Registration) -> list[Mark]:
    return _marks(session, task, registration)


def violations_of(session: Session, task: Task, registration: Registration) -> list[Violation]:
    return session.scalars(select(Violation).join(Aspect).where(
        Aspect.task_id == task.id, Violation.registration_id == registration.id)).all()


def stations(session: Session, task: Task) -> list[Station]:
    return session.scalars(select(Station).filter_by(task_id=task.id)).all()


def task_score(session: Session, task: Task, registration: Registration) -> Decimal:
    return reads.load(session, [task], [registration.id]).score(task, registration.id)


def practical_total(session: Session, scheme: Scheme, registration: Registration) -> Decimal:
    return rules.money(sum((task_score(session, t, registration) for t in scheme.tasks), Decimal(0)))


# --- progress, locking and sign-off ------------------------------------------------------------


def task_state(session: Session, task: Task, registration: Registration) -> str:
    """not_started, in_progress, flagged, complete or locked (reads.Marking.state)."""
    return reads.load(session, [task], [registration.id]).state(task, registration.id)


def task_digest(session: Session, task: Task) -> str:
    marks = session.scalars(select(Mark).join(Aspect).where(Aspect.task_id == task.id)).all()
    violations = session.scalars(select(Violation).join(Aspect).where(Aspect.task_id == task.id)).all()
    return rules.digest([(m.aspect_id, m.registration_id, m.slot, m.value, m.status.value) for m in marks]
                        + [("v", v.aspect_id, v.registration_id, v.points, v.reason) for v in violations])


def lock_task(session: Session, *, task: Task, chief: User, now: datetime) -> None:
    if chief.role is not Role.CHIEF_REFEREE:
        raise NotAllowed(_l("Only the chief referee locks a task."))
    if task.locked_at is not None:
        raise DomainError(_l("Task %(n)d is locked already.", n=task.number))
    marking = reads.load(session, [task])
    people = {registration_id for _t, registration_id in marking.referees}
    if not people:
        raise DomainError(_l("Nobody is assigned to this task yet."))
    waiting = []
    for registration_id in people:
        state = marking.state(task, registration_id)
        if state != "complete":
            waiting.append(f"{marking.stations.get((task.id, registration_id), '?')} ({STATE_LABELS[state]})")
    if waiting:
        raise DomainError(_l("Task %(n)d cannot be locked yet: stations %(stations)s are not complete or have an "
                             "open flag.", n=task.number, stations=", ".join(sorted(waiting))))
    task.locked_at = now
    session.add(SignOff(task_id=task.id, stage="lock", user_id=chief.id, digest=task_digest(session, task), at=now))
    audit.record(session, "scoring.lock", target=task.scheme, actor=chief, after={"task": task.number})


def unlock_task(session: Session, *, task: Task, admin: User, reason: str, now: datetime) -> None:
    if admin.role is not Role.ADMIN:
        raise NotAllowed(_l("Only an administrator unlocks a task."))
    if not reason.strip():
        raise DomainError(_l("Give a reason."), field="reason")
    if task.locked_at is None:
        raise DomainError(_l("Task %(n)d is not locked.", n=task.number))
    task.locked_at = None
    session.add(SignOff(task_id=task.id, stage="unlock", user_id=admin.id, digest=task_digest(session, task),
                        reason=reason.strip(), at=now))
    audit.record(session, "scoring.unlock", target=task.scheme, actor=admin, comment=reason,
                 after={"task": task.number})


STAGES = {"referee": (Role.REFEREE, Role.CHIEF_REFEREE), "chief": (Role.CHIEF_REFEREE,), "supervisor": (Role.ADMIN,)}
STAGE_LABELS = {"referee": _l("referee"), "chief": _l("chief referee"), "supervisor": _l("supervisor"),
                "lock": _l("locked"), "unlock": _l("unlocked")}
STATE_LABELS = {"not_started": _l("Not started"), "in_progress": _l("Marking in progress"), "flagged": _l("Flagged"),
                "complete": _l("Complete"), "locked": _l("Locked")}


def _signed_since_lock(session: Session, task: Task) -> list[SignOff]:
    return [s for s in session.scalars(select(SignOff).filter_by(task_id=task.id).order_by(SignOff.id))
            if task.locked_at is not None and s.at >= task.locked_at and s.stage in STAGES]


def _task_referees(session: Session, task: Task) -> list[User]:
    return list(session.scalars(select(User).where(User.id.in_(
        select(Assignment.referee_id).where(Assignment.task_id == task.id))).order_by(User.full_name)))


def sign_off(session: Session, *, task: Task, stage: str, user: User, now: datetime) -> SignOff:
    """Sign a locked task's marks at one stage, each person in their own session, storing the digest
    of what was signed. The referee stage: every referee assigned to the task signs for their own
    marks (one signature each); it is complete once all of them have. Then a chief referee signs
    (which lifts blind marking), then the supervisor (an administrator)."""
    if stage not in STAGES:
        raise NotAllowed(_l("There is no such signature stage."))
    if stage == "referee" and user.id not in {r.id for r in _task_referees(session, task)}:
        raise NotAllowed(_l("Only the referees who mark task %(n)d sign its referee stage, each for their own "
                            "marks: you do not mark this task.", n=task.number))
    if stage == "chief" and user.role is not Role.CHIEF_REFEREE:
        raise NotAllowed(_l("Only a chief referee signs the chief referee stage."))
    if stage == "supervisor" and user.role is not Role.ADMIN:
        raise NotAllowed(_l("Only the supervisor (an administrator) signs the supervisor stage."))
    if task.locked_at is None:
        raise DomainError(_l("Lock the task before signing it off."))
    state = signature_state(session, [task])[task.id]
    if stage == "referee" and user.id in state.referees_signed:
        raise DomainError(_l("You have signed task %(n)d already.", n=task.number))
    if stage == "chief":
        if state.referees_waiting:
            raise DomainError(_l("The referee stage is not complete: %(names)s must sign first.",
                                 names=", ".join(state.referees_waiting)))
        if state.chief:
            raise DomainError(_l("The chief referee stage is signed already."))
    if stage == "supervisor":
        if not state.chief:
            raise DomainError(_l("The %(stage)s stage must sign first.", stage=STAGE_LABELS["chief"]))
        if state.supervisor:
            raise DomainError(_l("The supervisor stage is signed already."))
    record = SignOff(task_id=task.id, stage=stage, user_id=user.id, digest=task_digest(session, task), at=now)
    session.add(record)
    if stage == "chief":
        task.signed_off_at = now
    session.flush()
    audit.record(session, f"scoring.sign_{stage}", target=task.scheme, actor=user, after={"task": task.number})
    return record


@dataclass(frozen=True)
class SignatureState:
    """Who has signed a task since its last lock."""

    referees: tuple[str, ...] = ()          # names of the referees assigned to the task
    referees_signed: frozenset[int] = frozenset()
    referees_waiting: tuple[str, ...] = ()  # names of those still to sign
    chief: bool = False
    supervisor: bool = False

    @property
    def referee_stage(self) -> bool:
        return bool(self.referees) and not self.referees_waiting


def signature_state(session: Session, tasks: list[Task]) -> dict[int, SignatureState]:
    """Each task's signatures since its lock (empty while it is unlocked): two statements."""
    ids = [t.id for t in tasks]
    referees: dict[int, list[User]] = defaultdict(list)
    for task_id, user in session.execute(select(Assignment.task_id, User).join(User, User.id == Assignment.referee_id)
                                         .where(Assignment.task_id.in_(ids)).distinct()
                                         .order_by(User.full_name, User.id)):
        referees[task_id].append(user)
    signs: dict[int, list[SignOff]] = defaultdict(list)
    for s in session.scalars(select(SignOff).where(SignOff.task_id.in_(ids), SignOff.stage.in_(list(STAGES)))):
        signs[s.task_id].append(s)
    out = {}
    for task in tasks:
        if task.locked_at is None:
            out[task.id] = SignatureState(referees=tuple(r.full_name for r in referees[task.id]))
            continue
        current = [s for s in signs[task.id] if s.at >= task.locked_at]
        signed = frozenset(s.user_id for s in current if s.stage == "referee")
        out[task.id] = SignatureState(
            referees=tuple(r.full_name for r in referees[task.id]), referees_signed=signed,
            referees_waiting=tuple(r.full_name for r in referees[task.id] if r.id not in signed),
            chief=any(s.stage == "chief" for s in current), supervisor=any(s.stage == "supervisor" for s in current))
    return out


def signature_mismatches(session: Session, task: Task) -> list[SignOff]:
    """Sign-offs whose digest no longer matches the marks (something changed after signing)."""
    current = task_digest(session, task)
    return [s for s in session.scalars(select(SignOff).filter_by(task_id=task.id))
            if s.stage in STAGES and s.digest != current]


def board(session: Session, scheme: Scheme, viewer: User | None = None) -> list[dict]:
    """Candidates × tasks. A task still blind for `viewer` shows "blind" until it is locked (then
    "locked", the same for everyone): a candidate's progress would tell which station is theirs.
    Read in bulk (reads.load): the number of statements does not grow with the candidates."""
    tasks = reads.scheme_tasks(session, scheme)
    people = enrolled(session, scheme.event)
    marking = reads.load(session, tasks)
    rows = []
    for registration in people:
        states = {}
        for t in tasks:
            state = marking.state(t, registration.id)
            states[t.number] = "blind" if blind(t, viewer) and state != "locked" else state
        rows.append({"candidate": registration.candidate_number, "id": registration.public_id, "states": states})
    return rows


# --- blind marking -----------------------------------------------------------------------------


def blind(task: Task, viewer: User | None = None) -> bool:
    """Whether the task's stations are still blind for `viewer`: the one rule of blind marking.

    Referees and the chief referee know a task's candidates only by station number until the chief
    referee has signed off its marks as they are locked now (an unlock, and the new lock after it,
    make the task blind again until the next sign-off). Until then nothing they are shown ties a
    station of the task to a candidate: not the candidate's marks, deductions, score or progress
    in that task, not the history of those marks, not the practical total they add up to. A
    document printed for the panel to sign (`viewer` None) is blind in the same way, for whoever
    prints it. Administrators keep the link (they assign stations, results need it)."""
    if viewer is not None and viewer.role is Role.ADMIN:
        return False
    signed = task.signed_off_at is not None and task.locked_at is not None and task.signed_off_at >= task.locked_at
    return not signed


def candidate_marks(session: Session, *, scheme: Scheme, registration: Registration, viewer: User) -> dict:
    """A candidate's practical marks as `viewer` may see them: per task its marks, deductions and
    score (left out, with blind=True, for a task still blind), the history of the marks that are
    shown, and the practical total (None while any task is blind)."""
    tasks, hidden = [], set()
    for task in scheme.tasks:
        if blind(task, viewer):
            hidden.add(task.number)
            tasks.append({"task": task, "blind": True})
            continue
        marks = marks_of(session, task, registration)
        violations = violations_of(session, task, registration)
        tasks.append({"task": task, "blind": False, "marks": marks, "violations": violations,
                      "aspects": [(a, aspect_mark(a, marks, violations)) for a in task.aspects],
                      "score": task_score(session, task, registration)})
    history = score_history(session, registration)
    if hidden:
        tasks_of_code = defaultdict(set)
        for task in scheme.tasks:
            for aspect in task.aspects:
                tasks_of_code[aspect.code].add(task.number)

        def tasks_of(entry) -> set:  # the task an entry is about; unknown counts as hidden
            after = entry.after or {}
            return {after["task"]} if "task" in after else tasks_of_code.get(after.get("aspect"), hidden)

        history = [e for e in history if not tasks_of(e) & hidden]
    total = None if hidden else practical_total(session, scheme, registration)
    return {"tasks": tasks, "history": history, "total": total}


def referee_analytics(session: Session, scheme: Scheme) -> list[rules.RefereeStats]:
    marks = session.scalars(select(Mark).join(Aspect).join(Task).where(
        Task.scheme_id == scheme.id, Aspect.kind == AspectKind.JUDGEMENT, Mark.status == MarkStatus.SUBMITTED)).all()
    names = defaultdict(str)
    data = []
    for m in marks:
        names[m.referee_id] = m.referee.full_name
        data.append((m.referee.full_name, f"{m.aspect_id}:{m.registration_id}", float(m.value)))
    return rules.referee_stats(data)


def new_version(session: Session, *, scheme: Scheme, actor: User) -> Scheme:
    """A new, editable version of a locked scheme: tasks, aspects, stations and assignments are
    copied; the marks stay with the version they were given under."""
    if scheme.locked_at is None:
        raise DomainError(_l("The scheme is still editable; change it directly."))
    latest = current_scheme(session, scheme.event)
    if latest is not scheme:
        raise DomainError(_l("Only the latest version can be copied."))
    copy = Scheme(event_id=scheme.event_id, version=scheme.version + 1, total=scheme.total, gap=scheme.gap)
    session.add(copy)
    for task in scheme.tasks:
        new_task = Task(number=task.number, name=task.name, description=task.description, max_points=task.max_points)
        new_task.aspects = [Aspect(position=a.position, code=a.code, title=a.title, kind=a.kind,
                                   max_points=a.max_points, step=a.step, judges=a.judges) for a in task.aspects]
        copy.tasks.append(new_task)
        session.flush()
        for station in stations(session, task):
            session.add(Station(task_id=new_task.id, registration_id=station.registration_id, number=station.number))
        for a in session.scalars(select(Assignment).filter_by(task_id=task.id)):
            session.add(Assignment(task_id=new_task.id, referee_id=a.referee_id, registration_id=a.registration_id))
    session.flush()
    audit.record(session, "scheme.new_version", target=copy, actor=actor, after={"version": copy.version})
    return copy


def score_history(session: Session, registration: Registration) -> list:
    return session.scalars(select(AuditLog).where(AuditLog.object_type == "registrations",
                                                  AuditLog.object_id == registration.public_id,
                                                  AuditLog.action.like("mark.%")).order_by(AuditLog.id)).all()


def confirm_marks(session: Session, *, task: Task, registration: Registration, user: User, now: datetime) -> int:
    """Two-person rule: a second person confirms the submitted marks someone else typed in."""
    _check_open(task)
    if not task.scheme.two_person:
        raise DomainError(_l("This scheme does not use the two-person rule."))
    if user.role is not Role.CHIEF_REFEREE and not is_assigned(session, task, user, registration):
        raise NotAllowed(_l("You are not assigned to this station."))
    pending = [m for m in _marks(session, task, registration)
               if m.status is MarkStatus.SUBMITTED and m.confirmed_by_id is None]
    if any(m.referee_id == user.id for m in pending):
        raise DomainError(_l("A different person must confirm the marks you entered."))
    if not pending:
        raise DomainError(_l("There is nothing to confirm."))
    for m in pending:
        m.confirmed_by_id = user.id
    session.flush()
    audit.record(session, "mark.confirm", target=registration, actor=user,
                 after={"task": task.number, "marks": len(pending)})
    _refresh_flags(session, task, registration, now)
    return len(pending)


def set_two_person(session: Session, *, scheme: Scheme, enabled: bool, actor: User) -> None:
    if scheme.two_person != enabled:
        scheme.two_person = enabled
        audit.record(session, "scheme.two_person", target=scheme, actor=actor, after={"enabled": enabled})
