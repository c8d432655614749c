"""Objections (异议) and requests for review (复核) during the publicity of results (公示).

A candidate objects to their own result or asks for a part of it (the theory paper, or one
practical task) to be reviewed; anyone may object to a listed entry with their name and contact;
an administrator records one that arrived by telephone or letter. Each has an answer deadline
and goes received → in review → answered; the answer is shown to whoever filed it (the
candidate's results page, or the receipt page of its public id). While any objection of a
result is unanswered, the result cannot become final (results.finalise); the last answer after
the publicity has ended makes it final at once.

Reviewing: the theory paper is shown to the reviewer as answered; a practical task is reopened
through scoring (an administrator unlocks it with the objection as the reason; the chief referee
has the marks re-marked and locks it again), and `revise` then recomputes the published result,
all of it in the audit log. Services flush and audit; they never commit."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from certificates import results
from certificates.models import Objection, ObjectionKind, ObjectionStatus, Result, ResultStatus
from core import addresses, audit, throttle, workcalendar
from core.errors import DomainError, NotAllowed, Throttled
from core.notify import notify, path_for
from registration.models import Registration
from scoring import services as scoring

MAX_REASON = 1000
MAX_OPEN_PER_RESULT = 5  # a candidate's unanswered objections and reviews of one result


# --- what may be filed, and when: the one gate -------------------------------------------------


def window_problem(session: Session, result: Result, now: datetime) -> str | None:
    """Why nothing can be filed about `result` now (None: it can). The publicity window is the
    only one: from publication to its end (Publication.ends_at, counted in working days)."""
    if result.status is not ResultStatus.PUBLISHED:
        return str(_l("Objections are filed while a result is in publicity."))
    publication = results.publication_of(session, result.registration.event)
    if publication is None or now >= publication.ends_at:
        return str(_l("The publicity period has ended: objections are no longer filed."))
    return None


def parts(session: Session, result: Result) -> list[tuple[str, str]]:
    """The parts of a result that can be reviewed, as (code, label): the theory paper when the
    result has a theory score, and each task of the practical scheme when it has a practical one."""
    found = []
    if result.theory is not None:
        found.append(("theory", str(_l("Theory"))))
    if result.practical is not None:
        scheme = scoring.current_scheme(session, result.registration.event)
        for task in scheme.tasks if scheme else ():
            found.append((f"task-{task.number}", str(_l("Practical task %(n)d: %(name)s", n=task.number,
                                                        name=task.name))))
    return found


def part_label(objection: Objection) -> str:
    """The part an objection is about, in words (no query)."""
    if objection.part == "theory":
        return str(_l("Theory"))
    if objection.part.startswith("task-"):
        return str(_l("Practical task %(n)s", n=objection.part.removeprefix("task-")))
    return str(_l("The whole result"))


def _task_of(session: Session, objection: Objection):
    if not objection.part.startswith("task-"):
        return None
    scheme = scoring.current_scheme(session, objection.result.registration.event)
    number = objection.part.removeprefix("task-")
    return next((t for t in scheme.tasks if str(t.number) == number), None) if scheme else None


def _owns(user: User, result: Result) -> bool:
    return user.id in (result.registration.user_id, result.registration.applicant_id)


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise DomainError(_l("Say what is wrong, and why."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_REASON), field="reason")
    return reason


def file(session: Session, *, result: Result, kind: ObjectionKind, part: str, reason: str, now: datetime,
         filer: User | None = None, name: str = "", contact: str = "", address: str = "") -> Objection:
    """File an objection or a request for review. `filer` is the candidate (their own result only),
    an administrator recording one on someone's behalf, or None for a member of the public, who
    gives a name and a contact and objects to a listed entry (not a review: that is the candidate's
    to ask)."""
    problem = window_problem(session, result, now)
    if problem:
        raise DomainError(problem)
    reason = _reason(reason)
    name, contact = (name or "").strip(), (contact or "").strip()
    if kind is ObjectionKind.REVIEW:
        if part not in dict(parts(session, result)):
            raise DomainError(_l("Choose the part to review."), field="part")
    else:
        part = ""
    if filer is None:
        if kind is ObjectionKind.REVIEW:
            raise NotAllowed(_l("Only the candidate asks for a review of their result."))
        if not name or len(name) > 40:
            raise DomainError(_l("Give your name (at most 40 characters)."), field="name")
        if not contact or len(contact) > 100:
            raise DomainError(_l("Give a telephone number or an e-mail address (at most 100 characters)."),
                              field="contact")
        policy = throttle.Policy(free=current_app.config["OBJECTIONS_PER_ADDRESS"], window=24 * 3600)
        if throttle.hit(session, f"objection:addr:{addresses.client_key(address)}", policy, now=now):
            raise Throttled(_l("Too many objections from this address today. Please write to the project centre."),
                            retry_after=3600)
    elif filer.role is Role.CANDIDATE:
        if not _owns(filer, result):
            raise NotAllowed(_l("This is not your result."))
        name, contact = filer.full_name, filer.email or ""
    elif filer.role is not Role.ADMIN:
        raise NotAllowed(_l("Only the candidate, the public or an administrator files an objection."))
    if filer is not None:
        open_ones = [o for o in result.objections if o.resolved_at is None and o.filed_by_id == filer.id]
        if len(open_ones) >= MAX_OPEN_PER_RESULT:
            raise DomainError(_l("You have %(n)d objections waiting for an answer: wait for them first.",
                                 n=len(open_ones)))
        if kind is ObjectionKind.REVIEW and any(o.part == part and o.kind is kind for o in open_ones):
            raise DomainError(_l("A review of this part is waiting for its answer already."), field="part")
    due = workcalendar.working_days_after(session, start=now,
                                          days=current_app.config["OBJECTION_ANSWER_DAYS"]).at
    objection = Objection(result=result, kind=kind, part=part, text=reason, raised_at=now, due_at=due,
                          filed_by_id=filer.id if filer else None, filer_name=name[:40], filer_contact=contact[:100])
    session.add(objection)
    session.flush()
    audit.record(session, "results.objection", target=result.registration, actor=filer, comment=reason[:500],
                 after={"objection": objection.public_id, "kind": kind.value, "part": part,
                        "by": "candidate" if filer is not None and filer.role is Role.CANDIDATE
                        else "administrator" if filer is not None else "public"})
    return objection


# --- the administrator's side --------------------------------------------------------------------


def start_review(session: Session, *, objection: Objection, actor: User, now: datetime) -> None:
    if objection.status is not ObjectionStatus.RECEIVED:
        raise DomainError(_l("This objection is in review or answered already."))
    objection.status, objection.review_started_at, objection.reviewer_id = ObjectionStatus.IN_REVIEW, now, actor.id
    audit.record(session, "results.objection_review", target=objection.result.registration, actor=actor,
                 after={"objection": objection.public_id})
    _tell(session, objection, str(_l("Your objection is in review")),
          str(_l("The project centre is reviewing your objection about %(event)s (%(part)s). The answer is due "
                 "by %(due)s.", event=objection.result.registration.event.name, part=part_label(objection),
                 due=_when(objection.due_at))))


def reopen_task(session: Session, *, objection: Objection, actor: User, now: datetime) -> None:
    """Reopen the reviewed task's marks for the chief referee: the task is unlocked with the
    objection as the reason (scoring's sign-off trail and the audit log keep it), and every chief
    referee is told which station to look at."""
    if objection.status is ObjectionStatus.ANSWERED:
        raise DomainError(_l("This objection is answered already."))
    task = _task_of(session, objection)
    if task is None:
        raise DomainError(_l("This objection is not about a practical task."))
    if objection.status is ObjectionStatus.RECEIVED:
        start_review(session, objection=objection, actor=actor, now=now)
    scoring.unlock_task(session, task=task, admin=actor, now=now,
                        reason=str(_l("Review requested (%(id)s): %(reason)s", id=objection.public_id[:8],
                                      reason=objection.text))[:500])
    station = scoring.station_of(session, task, objection.result.registration)
    link = path_for("scoring.event", public_id=objection.result.registration.event.public_id)
    for chief in session.scalars(select(User).where(User.role == Role.CHIEF_REFEREE, User.active.is_(True))):
        notify(session, email=chief.email, user=chief, link=link,
               subject=str(_l("Review: task %(n)d reopened", n=task.number)),
               body=str(_l("Task %(n)d is reopened for the review of station %(station)s, asked for during the "
                           "publicity: %(reason)s. Have the marks checked, then lock the task again.",
                           n=task.number, station=station.number if station else "?", reason=objection.text)))


def revise(session: Session, *, objection: Objection, actor: User, now: datetime) -> dict:
    """Recompute the objection's published result from the marks and the paper as they are now
    (after a review changed them), re-ranking its group in a competition. Every task of the
    practical scheme must be locked again first. Returns the parts before and after."""
    result = objection.result
    if result.status is not ResultStatus.PUBLISHED:
        raise DomainError(_l("Only a result in publicity is revised."))
    scheme = scoring.current_scheme(session, result.registration.event)
    unlocked = [t.number for t in scheme.tasks if t.locked_at is None] if scheme else []
    if unlocked:
        raise DomainError(_l("Task %(tasks)s is still open: the chief referee locks it before the result is "
                             "revised.", tasks=", ".join(map(str, unlocked))))
    before = {"theory": result.theory, "practical": result.practical, "total": result.total, "passed": result.passed}
    results.recompute_one(session, result=result, now=now)
    after = {"theory": result.theory, "practical": result.practical, "total": result.total, "passed": result.passed}
    audit.record(session, "results.revise", target=result.registration, actor=actor,
                 before={k: str(v) for k, v in before.items()}, after={k: str(v) for k, v in after.items()},
                 comment=objection.public_id)
    return {"before": before, "after": after}


def answer(session: Session, *, objection: Objection, text: str, actor: User, now: datetime) -> None:
    """Answer an objection; the answer is shown to the filer. After the publicity has ended, a
    result whose last objection this was becomes final now."""
    if objection.status is ObjectionStatus.ANSWERED:
        raise DomainError(_l("This objection is answered already."))
    reply = (text or "").strip()
    if not reply:
        raise DomainError(_l("Write the answer the filer will read."), field="answer")
    if len(reply) > MAX_REASON:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_REASON), field="answer")
    objection.status, objection.resolution, objection.resolved_at = ObjectionStatus.ANSWERED, reply, now
    if objection.reviewer_id is None:
        objection.reviewer_id, objection.review_started_at = actor.id, now
    audit.record(session, "results.objection_resolved", target=objection.result.registration, actor=actor,
                 comment=reply[:500], after={"objection": objection.public_id})
    _tell(session, objection, str(_l("Your objection is answered")),
          str(_l("The project centre has answered your objection about %(event)s (%(part)s): %(answer)s",
                 event=objection.result.registration.event.name, part=part_label(objection), answer=reply)))
    session.flush()
    results.finalise(session, now=now)


def _when(moment: datetime | None) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else "—"


def _tell(session: Session, objection: Objection, subject: str, body: str) -> None:
    """The filer learns of each step: a candidate in their inbox (and by e-mail); a member of the
    public by e-mail when the contact given is one (the receipt page shows it in any case)."""
    link = path_for("certificates.objections.status", public_id=objection.public_id)
    if objection.filed_by is not None and objection.filed_by.role is Role.CANDIDATE:
        notify(session, email=objection.filed_by.email, user=objection.filed_by, subject=subject, body=body, link=link)
    elif objection.filed_by is None and "@" in objection.filer_contact:
        notify(session, email=objection.filer_contact, subject=subject, body=body, link=link)


# --- reads ---------------------------------------------------------------------------------------


def by_public_id(session: Session, public_id: str) -> Objection | None:
    return session.scalar(select(Objection).filter_by(public_id=public_id or ""))


def queue(session: Session, *, status: ObjectionStatus | None = None, event_id: int | None = None,
          limit: int = 200) -> list[Objection]:
    """The administrator's queue: unanswered first, then the oldest due date."""
    query = select(Objection).join(Result)
    if status is not None:
        query = query.where(Objection.status == status)
    if event_id is not None:
        query = query.where(Result.event_id == event_id)
    return list(session.scalars(query.order_by(Objection.resolved_at.is_not(None), Objection.due_at,
                                               Objection.id).limit(limit)))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Objection.status, func.count()).group_by(Objection.status))
    return {status.value: n for status, n in rows}


def of_candidate(session: Session, user: User) -> list[Objection]:
    return list(session.scalars(select(Objection).join(Result).join(Registration).where(
        Objection.filed_by_id == user.id).order_by(Objection.id.desc())))


def listed_result(session: Session, *, event_id: int, candidate_number: str) -> Result | None:
    """The published entry of the publicity list with this candidate number (what the public
    objects to)."""
    return session.scalar(select(Result).join(Registration).where(
        Result.event_id == event_id, Registration.candidate_number == (candidate_number or "").strip()[:40],
        Result.status != ResultStatus.COMPUTED))

