"""The cockpit's reads and its one action: each other package's bulk reads, composed into the
facts of cockpit.rules. A fixed number of statements however many candidates the event has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from certificates import results as result_services
from certificates import services as certificate_services
from cockpit import rules
from core.errors import DomainError
from exam import services as exam_services
from registration import services as registration_services
from registration.models import Event, Registration, State
from scoring import reads as scoring_reads


@dataclass(frozen=True)
class Cockpit:
    facts: rules.Facts
    stages: list[rules.Stage]
    registrations: registration_services.RegistrationDigest
    exams: list[exam_services.ExamDigest]
    results: result_services.ResultsDigest
    modules: dict[int, Decimal]
    task_means: list[tuple[int, str, Decimal | None]]
    publicity_days: int

    @property
    def current(self) -> rules.Stage | None:
        return next((s for s in self.stages if s.status is rules.Status.CURRENT), None)


def _pair(waiting) -> tuple[int, tuple]:
    return waiting.count, waiting.first


def cockpit(session: Session, *, event: Event, now: datetime) -> Cockpit:
    forms = registration_services.event_digest(session, event, now=now)
    exams = exam_services.event_exams(session, event.id)
    practical = scoring_reads.practical_progress(session, event)
    results = result_services.results_digest(session, event)
    rule = result_services.rule_of(session, event)
    facts = rules.Facts(
        now=now, registration_opens=event.registration_opens, registration_closes=event.registration_closes,
        forms=forms.by_state, awaiting_centre=_pair(forms.awaiting_centre),
        awaiting_project=_pair(forms.awaiting_project), returned=_pair(forms.returned),
        approved=_pair(forms.approved), without_seat=_pair(forms.without_seat),
        without_photo=_pair(forms.without_photo),
        exams=len(exams), exams_draft=sum(1 for e in exams if e.status == "draft"),
        exams_open=sum(1 for e in exams if e.status != "draft" and e.closes_at > now),
        exams_unreleased=sum(1 for e in exams if e.status != "draft" and e.closes_at <= now and not e.released),
        submitted=sum(e.submitted for e in exams), in_progress=sum(e.in_progress for e in exams),
        tasks=practical.tasks, tasks_locked=practical.tasks_locked,
        scheme_locked=practical.scheme_locked,
        stations_drawn=practical.stations_drawn > 0, marks_missing=practical.marks_missing,
        flags_open=practical.open_flags,
        results=results.by_status, lacking=(results.lacking_count, results.lacking), absent=results.absent,
        objections_open=results.objections_open, publicity_ends=results.publicity_ends,
        certificates=results.certificates, passed=sum(1 for r in results.rows if r.passed))
    return Cockpit(facts=facts, stages=rules.timeline(facts), registrations=forms, exams=exams, results=results,
                   modules=exam_services.module_rates(session, event.id), task_means=list(practical.task_means),
                   publicity_days=rule.publicity_days)


ACTIONS = ("enrol", "compute", "publish", "issue")


@dataclass(frozen=True)
class Advanced:
    count: int  # how many the action concerned
    skipped: tuple[str, ...] = ()  # "name: why", for those the workflow refused


def advance(session: Session, *, event: Event, action: str, actor: User, now: datetime) -> Advanced:
    """Move the event on: enrol every approved candidate, compute or publish the results, or start
    issuing the certificates. Each goes through its package's own service, so every rule of that
    step applies as it does on the step's own page; a form the workflow refuses is skipped and named."""
    if action == "enrol":
        approved = session.scalars(select(Registration).where(Registration.event_id == event.id,
                                                              Registration.state == State.APPROVED)
                                   .order_by(Registration.id)).all()
        if not approved:
            raise DomainError(_l("No approved candidate waits for enrolment."))
        result = registration_services.bulk_act(session, registrations=list(approved), action="enrol", user=actor,
                                                now=now)
        return Advanced(len(result.done), tuple(f"{s.full_name}: {s.reason}" for s in result.skipped))
    if action == "compute":
        return Advanced(result_services.compute(session, event=event, actor=actor, now=now))
    if action == "publish":
        result_services.publish(session, event=event, actor=actor, now=now)
        return Advanced(result_services.standing(session, event)["all"])
    if action == "issue":
        return Advanced(certificate_services.start_batch(session, event=event, actor=actor, now=now).total)
    raise DomainError(_l("Unknown action."))
