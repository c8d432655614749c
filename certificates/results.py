"""Results: combining theory and practical per event, ranking and awards, publicity (公示) with
objections, and finality. Services flush and audit; they never commit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import TrainingCentre, User
from certificates import rules
from certificates.models import Certificate, Objection, Publication, Result, ResultRule, ResultStatus
from core import audit, workcalendar
from core.errors import DomainError
from core.extensions import scheduler
from core.notify import notify, path_for
from registration.models import Event, Group, Registration, State


def rule_of(session: Session, event: Event) -> ResultRule:
    rule = session.scalar(select(ResultRule).filter_by(event_id=event.id))
    if rule is None:
        rule = ResultRule(event_id=event.id)
        session.add(rule)
        session.flush()
    return rule


def theory_score(session: Session, registration: Registration) -> Decimal | None:
    """The staff group's teaching video mark, or the theory exam (scaled to 100) of the event's
    latest exam the candidate sat."""
    if registration.group is Group.STAFF:
        from scoring.models import TeachingVideo
        from scoring.video import mark

        video = session.scalar(select(TeachingVideo).filter_by(registration_id=registration.id))
        return mark(video) if video else None
    if registration.user_id is None:
        return None
    from exam.models import Attempt, AttemptStatus, Exam

    attempt = session.scalar(
        select(Attempt).join(Exam).where(Exam.event_id == registration.event_id,
                                         Attempt.user_id == registration.user_id,
                                         Attempt.status != AttemptStatus.IN_PROGRESS)
        .order_by(Exam.opens_at.desc()).limit(1))
    if attempt is not None and attempt.score is None:
        from exam.services import grade_pending

        grade_pending(session, attempt=attempt)  # submitted moments ago: the grading job is not there yet
    if attempt is None or attempt.score is None:
        return None
    return rules.scaled(attempt.score, attempt.exam.total_points)


def practical_score(session: Session, registration: Registration) -> Decimal | None:
    from scoring import services as scoring

    scheme = scoring.current_scheme(session, registration.event)
    if scheme is None:
        return None
    if not any(scoring.marks_of(session, t, registration) for t in scheme.tasks):
        return None
    return rules.scaled(scoring.practical_total(session, scheme, registration), scheme.total)


_PRIZES = {1: _l("First prize"), 2: _l("Second prize"), 3: _l("Third prize")}


def outcome(result: Result, event: Event) -> str:
    """A result's outcome in words, on every page and export: absent (缺考) when neither part was
    sat, incomplete when one is missing, the prize in a competition, pass or not in a certification."""
    if result.theory is None and result.practical is None:
        return str(_l("Absent"))
    if result.total is None:
        return str(_l("Incomplete: theory missing") if result.theory is None else _l("Incomplete: practical missing"))
    if result.award:
        return str(_PRIZES[result.award])
    if event.kind.value == "certification":
        return str(_l("Pass") if result.passed else _l("Not passed"))
    return ""


def standing(session: Session, event: Event) -> dict:
    """How many results the event has, and how many of them lack a part (what publishing publishes)."""
    counts = session.execute(select(func.count(Result.id), func.count(Result.id).filter(Result.total.is_(None)))
                             .where(Result.event_id == event.id)).one()
    return {"all": counts[0], "lacking": counts[1]}


def lacking(session: Session, event: Event) -> list[str]:
    """The candidates whose result lacks a part, each with what is missing ("number name: outcome")."""
    rows = session.scalars(select(Result).join(Registration).where(Result.event_id == event.id,
                                                                    Result.total.is_(None))
                           .order_by(Registration.candidate_number)).all()
    return [f"{r.registration.candidate_number} {r.registration.full_name}: {outcome(r, event)}" for r in rows]


def _spec(rule: ResultRule, event: Event) -> rules.Rule:
    return rules.Rule(event.kind.value, rule.theory_weight, rule.practical_weight, rule.theory_pass,
                      rule.practical_pass)


def _combine_into(session: Session, spec: rules.Rule, result: Result, registration: Registration,
                  now: datetime) -> None:
    combined = rules.combine(spec, theory=theory_score(session, registration),
                             practical=practical_score(session, registration))
    result.theory, result.practical, result.total = combined.theory, combined.practical, combined.total
    result.passed, result.computed_at = combined.passed, now


def _rank(rule: ResultRule, event: Event, members: list[tuple[Result, Registration]]) -> None:
    """Rank one group and give its awards (a certification is passed or not: not ranked)."""
    for result, _registration in members:
        result.rank, result.award = None, None
    entries = {r.candidate_number: res for res, r in members if res.total is not None}
    ranked = rules.rank([rules.Entry(key, res.total, res.theory, res.practical) for key, res in entries.items()],
                        [p.strip() for p in rule.tie_break.split(",")])
    competition = event.kind.value == "competition"
    prizes = rules.awards(ranked, (rule.first_ratio, rule.second_ratio, rule.third_ratio)) if competition else {}
    for entry, position in ranked:
        entries[entry.key].rank = position if competition else None
        entries[entry.key].award = prizes.get(entry.key)


def compute(session: Session, *, event: Event, actor: User | None, now: datetime) -> int:
    """Combine every enrolled candidate's parts, then rank and award per group. Results already
    published or final are not recomputed (a review during the publicity revises one result:
    recompute_one)."""
    rule = rule_of(session, event)
    spec = _spec(rule, event)
    existing = {r.registration_id: r for r in session.scalars(select(Result).filter_by(event_id=event.id))}
    if any(r.status is not ResultStatus.COMPUTED for r in existing.values()):
        raise DomainError(_l("The results are published: they can no longer be recomputed."))
    people = session.scalars(select(Registration).where(Registration.event_id == event.id,
                                                        Registration.state == State.ENROLLED)).all()
    groups: dict[str, list[tuple[Result, Registration]]] = defaultdict(list)
    for registration in people:
        result = existing.get(registration.id)
        if result is None:
            result = Result(event_id=event.id, registration_id=registration.id, computed_at=now)
            session.add(result)
        _combine_into(session, spec, result, registration, now)
        groups[registration.group.value if registration.group else ""].append((result, registration))
    for members in groups.values():
        _rank(rule, event, members)
    session.flush()
    audit.record(session, "results.compute", target=event, actor=actor, after={"candidates": len(people)})
    return len(people)


def recompute_one(session: Session, *, result: Result, now: datetime) -> None:
    """Recompute one published result from its parts as they are now (a review changed a mark or
    the paper's grading), and rank its group again in a competition. The caller audits."""
    event, registration = result.registration.event, result.registration
    rule = rule_of(session, event)
    _combine_into(session, _spec(rule, event), result, registration, now)
    if event.kind.value == "competition":
        group = registration.group
        members = session.execute(select(Result, Registration).join(Registration).where(
            Result.event_id == event.id, Registration.group == group)).all()
        _rank(rule, event, [(r, g) for r, g in members])
    session.flush()


def publicity_end(session: Session, *, event: Event, now: datetime) -> workcalendar.Deadline:
    """When a publicity starting `now` ends: the event's publicity days, counted as working days of
    China's official calendar with the administrator's overrides (core/workcalendar.py), and the
    years counted by the weekend alone. What the publish button's confirmation shows, and what
    publishing stores (Publication.ends_at) once."""
    return workcalendar.working_days_after(session, start=now, days=rule_of(session, event).publicity_days)


def publish(session: Session, *, event: Event, actor: User, now: datetime) -> Publication:
    results = session.scalars(select(Result).filter_by(event_id=event.id)).all()
    if not results:
        raise DomainError(_l("Compute the results first."))
    if any(r.status is not ResultStatus.COMPUTED for r in results):
        raise DomainError(_l("The results are published already."))
    ends = publicity_end(session, event=event, now=now)
    publication = Publication(event_id=event.id, published_at=now, ends_at=ends.at)
    session.add(publication)
    for result in results:
        result.status = ResultStatus.PUBLISHED
    session.flush()
    audit.record(session, "results.publish", target=event, actor=actor,
                 after={"ends_at": publication.ends_at, "guessed_years": list(ends.guessed)})
    _tell_candidates(session, event, publication)
    return publication


def _tell_candidates(session: Session, event: Event, publication: Publication) -> None:
    """Each candidate with an account learns in the app (and by e-mail) that their result is out."""
    link = path_for("certificates.mine")
    ends = format_datetime(publication.ends_at, "yyyy-MM-dd HH:mm")
    for user_id, email in session.execute(select(Registration.user_id, Registration.email).join(Result)
                                          .where(Result.event_id == event.id, Registration.user_id.is_not(None))):
        notify(session, email=email, user_id=user_id, link=link,
               subject=str(_l("Your result: %(event)s", event=event.name)),
               body=str(_l("Your result of %(event)s is published for publicity until %(ends)s. You may raise an "
                           "objection or ask for a review on your results page until then.", event=event.name,
                           ends=ends)))


def publication_of(session: Session, event: Event) -> Publication | None:
    return session.scalar(select(Publication).filter_by(event_id=event.id).order_by(Publication.id.desc()).limit(1))


@scheduler.job("certificates.finalise_results", trigger="interval", minutes=10)
def finalise(session: Session, *, now: datetime) -> int:
    """After the publicity period, make final every published result with no open objection, and
    write the scores on the registration (its form shows them from then on)."""
    done = 0
    for publication in session.scalars(select(Publication).where(Publication.ends_at <= now)):
        results = session.scalars(select(Result).filter_by(event_id=publication.event_id,
                                                           status=ResultStatus.PUBLISHED)).all()
        for result in results:
            if any(o.resolved_at is None for o in result.objections):
                continue
            result.status, result.final_at = ResultStatus.FINAL, now
            result.registration.theory_score = result.theory
            result.registration.practical_score = result.practical
            done += 1
    if done:
        audit.record(session, "results.final", after={"results": done})
    return done


# --- for other packages: bulk reads --------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    theory: Decimal | None
    practical: Decimal | None
    total: Decimal | None
    passed: bool
    centre: str


@dataclass(frozen=True)
class ResultsDigest:
    """An event's results at a glance (the event's cockpit)."""

    by_status: dict[str, int]
    absent: int
    lacking: tuple[str, ...]  # "number name: what is missing", the first of them
    lacking_count: int
    publicity_ends: datetime | None
    objections_open: int
    certificates: int
    rows: tuple[ScoreRow, ...]  # every result, for the charts


def results_digest(session: Session, event: Event, *, first: int = 8) -> ResultsDigest:
    """Five statements however many results the event has."""
    by_status = dict((s.value, n) for s, n in session.execute(
        select(Result.status, func.count()).where(Result.event_id == event.id).group_by(Result.status)))
    rows = session.execute(
        select(Result.theory, Result.practical, Result.total, Result.passed, Result.award,
               Registration.candidate_number, Registration.full_name, TrainingCentre.name.label("centre"))
        .join(Registration, Registration.id == Result.registration_id).join(TrainingCentre)
        .where(Result.event_id == event.id).order_by(Registration.candidate_number)).all()
    lacking_rows = [r for r in rows if r.total is None]
    publication = publication_of(session, event)
    open_objections = session.scalar(select(func.count(Objection.id)).join(Result).where(
        Result.event_id == event.id, Objection.resolved_at.is_(None))) or 0
    issued = session.scalar(select(func.count(Certificate.id)).where(Certificate.event_id == event.id,
                                                                     Certificate.revoked_at.is_(None))) or 0
    return ResultsDigest(
        by_status=by_status,
        absent=sum(1 for r in rows if r.theory is None and r.practical is None),
        lacking=tuple(f"{r.candidate_number} {r.full_name}: {outcome(r, event)}" for r in lacking_rows[:first]),
        lacking_count=len(lacking_rows),
        publicity_ends=publication.ends_at if publication else None,
        objections_open=open_objections, certificates=issued,
        rows=tuple(ScoreRow(r.theory, r.practical, r.total, r.passed, r.centre) for r in rows))
