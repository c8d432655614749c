"""An event's timeline from its facts: pure (no Flask, no database), so every stage rule is here once.

A stage is done, current (the first one not done) or to come. What blocks it is a list of
blockers, each a kind with how many and the first of them; the action is what the project office
can do on the cockpit to move it on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Step(StrEnum):
    REGISTRATION = "registration"
    REVIEW = "review"
    ENROLMENT = "enrolment"
    EXAM = "exam"
    PRACTICAL = "practical"
    RESULTS = "results"
    PUBLICITY = "publicity"
    CERTIFICATES = "certificates"


class Status(StrEnum):
    DONE = "done"
    CURRENT = "current"
    TODO = "todo"


@dataclass(frozen=True)
class Blocker:
    kind: str  # what waits: "awaiting_centre", "marks_missing", ... (the page names and links each)
    count: int
    first: tuple = ()  # (label, public id) pairs, or labels


@dataclass(frozen=True)
class Stage:
    step: Step
    status: Status
    counts: dict
    blockers: tuple[Blocker, ...] = ()
    action: str | None = None  # "enrol", "compute", "publish", "issue"


@dataclass(frozen=True)
class Facts:
    """Everything the timeline needs, read in bulk by cockpit.services."""

    now: datetime
    registration_opens: datetime
    registration_closes: datetime
    forms: dict[str, int]  # registrations by state
    awaiting_centre: tuple[int, tuple]
    awaiting_project: tuple[int, tuple]
    returned: tuple[int, tuple]
    approved: tuple[int, tuple]
    without_seat: tuple[int, tuple]
    without_photo: tuple[int, tuple]
    exams: int
    exams_draft: int
    exams_open: int  # published and not yet closed
    exams_unreleased: int  # its window is over, its results are not released
    submitted: int  # attempts handed in (over every exam)
    in_progress: int
    tasks: int
    tasks_locked: int
    scheme_locked: bool
    stations_drawn: bool
    marks_missing: int
    flags_open: int
    results: dict[str, int]  # results by status
    lacking: tuple[int, tuple]
    absent: int
    objections_open: int
    publicity_ends: datetime | None
    certificates: int
    passed: int
    extra: dict = field(default_factory=dict)


def _blockers(*pairs) -> tuple[Blocker, ...]:
    return tuple(Blocker(kind, n, first) for kind, (n, first) in pairs if n)


def timeline(f: Facts) -> list[Stage]:
    forms = sum(n for state, n in f.forms.items() if state not in ("withdrawn", "rejected"))
    enrolled = f.forms.get("enrolled", 0)
    results = sum(f.results.values())
    published = f.results.get("published", 0) + f.results.get("final", 0)
    final = f.results.get("final", 0)

    registration_done = f.now >= f.registration_closes
    review_blockers = _blockers(("awaiting_centre", f.awaiting_centre), ("awaiting_project", f.awaiting_project),
                                ("returned", f.returned))
    enrol_blockers = _blockers(("approved", f.approved), ("without_seat", f.without_seat),
                               ("without_photo", f.without_photo))
    exam_blockers = (_blockers(("no_exam", (0 if f.exams else 1, ()))) if enrolled else ()) + _blockers(
        ("exams_draft", (f.exams_draft, ())), ("exams_open", (f.exams_open, ())),
        ("in_progress", (f.in_progress, ())),
        ("not_released", (f.exams_unreleased, ())))
    practical_blockers = _blockers(
        ("no_scheme", (0 if f.tasks else 1, ())), ("scheme_open", (0 if f.scheme_locked or not f.tasks else 1, ())),
        ("stations_not_drawn", (0 if f.stations_drawn or not f.scheme_locked else 1, ())),
        ("marks_missing", (f.marks_missing, ())), ("flags_open", (f.flags_open, ())),
        ("tasks_open", (f.tasks - f.tasks_locked if f.tasks else 0, ())))
    results_blockers = _blockers(("lacking", f.lacking)) if results else ()
    publicity_blockers = _blockers(("objections_open", (f.objections_open, ())))
    pending_certificates = max(0, f.passed - f.certificates) if final else 0

    stages = [
        (Step.REGISTRATION, registration_done and forms > 0, {"forms": forms, "by_state": f.forms}, (), None),
        (Step.REVIEW, forms > 0 and not review_blockers,
         {"awaiting": f.awaiting_centre[0] + f.awaiting_project[0], "returned": f.returned[0],
          "approved": f.approved[0] + enrolled}, review_blockers, None),
        (Step.ENROLMENT, enrolled > 0 and not enrol_blockers, {"enrolled": enrolled, "to_enrol": f.approved[0]},
         enrol_blockers, "enrol" if f.approved[0] else None),
        (Step.EXAM, f.exams > 0 and enrolled > 0 and not exam_blockers,
         {"exams": f.exams, "submitted": f.submitted,
          "not_sat": max(0, enrolled * f.exams - f.submitted - f.in_progress)},
         exam_blockers, None),
        (Step.PRACTICAL, f.tasks > 0 and f.tasks_locked == f.tasks, {"tasks": f.tasks, "locked": f.tasks_locked},
         practical_blockers, None),
        (Step.RESULTS, results > 0 and results >= enrolled,
         {"results": results, "absent": f.absent, "lacking": f.lacking[0]}, results_blockers,
         "compute" if enrolled and not published else None),
        (Step.PUBLICITY, final > 0, {"published": published, "final": final,
                                     "objections_open": f.objections_open, "ends": f.publicity_ends},
         publicity_blockers, "publish" if results and not published else None),
        (Step.CERTIFICATES, final > 0 and pending_certificates == 0 and f.certificates > 0,
         {"certificates": f.certificates, "pending": pending_certificates}, (),
         "issue" if pending_certificates else None),
    ]
    # Work under way in a stage: stages of an event overlap (forms are reviewed while sign-up is
    # still open), so such a stage is current too, not only the first stage not done.
    active = {Step.REGISTRATION: forms > 0, Step.REVIEW: bool(review_blockers),
              Step.ENROLMENT: f.approved[0] > 0 or enrolled > 0, Step.EXAM: f.submitted + f.in_progress > 0,
              Step.PRACTICAL: f.stations_drawn, Step.RESULTS: results > 0, Step.PUBLICITY: published > 0,
              Step.CERTIFICATES: f.certificates > 0}
    # An event moves on even when a stage keeps a loose end (a candidate without a seat who never
    # came): a stage is done once a later one is, and its blockers stay listed as loose ends.
    later_done = False
    for i in range(len(stages) - 1, -1, -1):
        step, done, counts, blockers, action = stages[i]
        stages[i] = (step, done or later_done, counts, blockers, action)
        later_done = later_done or done
    out: list[Stage] = []
    first_open = True
    for step, done, counts, blockers, action in stages:
        if done:
            status = Status.DONE
        elif first_open or active[step]:
            status = Status.CURRENT
        else:
            status = Status.TODO
        first_open = first_open and done
        out.append(Stage(step, status, counts, tuple(blockers), action))
    return out


def histogram(values, *, width: int = 10, top: int = 100) -> list[tuple[int, int]]:
    """(lower bound, count) for bins [0, 10), [10, 20), ... [90, 100]: a score of 100 is in the last."""
    bins = {lo: 0 for lo in range(0, top, width)}
    for v in values:
        if v is None:
            continue
        bins[min(top - width, max(0, int(v) // width * width))] += 1
    return list(bins.items())


def pass_rates(rows) -> list[tuple[str, int, int]]:
    """(centre, passed, with a result) per centre, by name; rows have .centre, .passed, .total."""
    seen: dict[str, list[int]] = {}
    for r in rows:
        counts = seen.setdefault(r.centre, [0, 0])
        counts[1] += 1
        counts[0] += 1 if r.passed else 0
    return [(centre, p, n) for centre, (p, n) in sorted(seen.items())]
