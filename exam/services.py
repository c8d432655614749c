"""Exam services: blueprint checks, publication and papers, attempts, autosave, submission,
grading, deadlines and the proctor's actions. They flush and audit; they never commit."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from accounts.models import User
from core import addresses, audit, throttle
from core.errors import Conflict, DomainError, NotAllowed, Throttled
from core.extensions import scheduler
from core.notify import notify, path_for
from exam import rules
from exam.models import (
    Answer,
    AnswerEvent,
    Attempt,
    AttemptStatus,
    ChallengeStatus,
    Exam,
    ExamCandidate,
    ExamHall,
    ExamStatus,
    IntegrityEvent,
    ItemChallenge,
    KeyOverride,
    Paper,
    PaperItem,
    Regrade,
)
from question_bank import qtypes, wording
from question_bank import rules as qrules
from question_bank import services as bank
from question_bank.models import Level, Pool, Question, QuestionStatus, QuestionType, QuestionVersion

audit.describe({
    "exam.start": _l("Exam started"), "exam.submit": _l("Exam handed in"), "exam.publish": _l("Exam published"),
    "exam.release_results": _l("Exam results released"), "exam.reopen": _l("Attempt reopened"),
    "exam.force_submit": _l("Handed in by the invigilator"), "exam.focus_submit": _l("Handed in: focus lost too often"),
    "exam.compensate": _l("Time compensated"), "exam.extra_time": _l("Extra time granted"),
    "exam.takeover_approved": _l("Another computer approved"), "exam.challenge_dismiss": _l("Challenge dismissed"),
    "exam.challenge_rekey": _l("Question re-keyed after a challenge"),
    "exam.challenge_void": _l("Question voided after a challenge"),
    "exam.create": _l("Exam created"), "exam.update": _l("Exam settings changed"),
    "exam.section_add": _l("Section added"), "exam.section_delete": _l("Section deleted"),
    "exam.roster_add": _l("Candidates added to the roster"),
    "exam.hall_add": _l("Hall added"), "exam.halls_from_event": _l("Halls made from the event's sessions"),
    "exam.hall_invigilator": _l("Invigilator assigned"), "exam.hall_seat": _l("Seat assigned"),
    "exam.hall_start": _l("Hall start time set"), "exam.hall_integrity": _l("Hall integrity settings changed"),
    "exam.hall_pause": _l("Hall paused"), "exam.hall_resume": _l("Hall resumed"),
    "exam.hall_incident": _l("Incident recorded"),
})

LEVEL_ORDER = [Level.JUNIOR, Level.INTERMEDIATE, Level.SENIOR]


class TimeUp(Conflict):
    """The attempt's time is over (or it was submitted): nothing more is saved."""


class TakenOver(Conflict):
    """Another device has taken the attempt over."""


class Paused(DomainError):
    """The hall's clock is paused: the page keeps the answer and sends it again after the resume."""

    status_code = 423


class Waiting(DomainError):
    """This device waits for the invigilator to let it take the attempt over."""

    status_code = 423


class NotStarted(DomainError):
    """The hall's synchronized start has not come: the waiting room takes nothing yet."""

    status_code = 425


class WrongAccessCode(DomainError):
    """A wrong access code: the guess is counted (the caller commits the count, not the refusal)."""


def _access_code_policy() -> throttle.Policy:
    return throttle.Policy(free=current_app.config["ACCESS_CODE_TRIES"], window=15 * 60, backoff=30)


def _check_access_code(session: Session, *, exam: Exam, user: User, access_code: str, now: datetime) -> None:
    """Compare the typed code with the exam's; wrong guesses back off like sign-ins (issue 12 L1)."""
    key, policy = f"access-code:{exam.id}:{user.id}", _access_code_policy()
    wait = throttle.check(session, key, policy, now=now)
    if not wait:
        if hmac.compare_digest(exam.access_code.upper().encode(), (access_code or "").strip().upper().encode()):
            return
        wait = throttle.hit(session, key, policy, now=now)
        if not wait:
            raise WrongAccessCode(_l("The access code is wrong. Ask the proctor in the room for it."),
                                  field="access_code")
    raise Throttled(_l("Too many wrong access codes. Try again in %(n)d seconds, or ask the proctor.", n=wait),
                    retry_after=wait)


# --- blueprint and pool ------------------------------------------------------------------------


def blueprint(exam: Exam) -> list[rules.Section]:
    return [
        rules.Section(
            key=s.id, type=s.type.value, points=s.points,
            quotas=tuple(rules.Quota(q.count, q.module, q.level.value if q.level else None, q.difficulty)
                         for q in s.quotas),
        )
        for s in exam.sections
    ]


def _pool_items(session: Session, version_ids) -> list[rules.PoolItem]:
    versions = session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(list(version_ids)))).all()
    return [rules.PoolItem(v.id, v.type.value, v.module, v.level.value, v.difficulty,
                           tuple(o["key"] for o in v.options), wording.has_english(v.stem_en, v.options))
            for v in versions]


def current_pool_ids(session: Session, exam: Exam, *, any_language: bool = False) -> list[int]:
    """Active questions at the exam's level or below (higher levels include the lower ones), of
    the exam pool, that practice never showed; for an English or bilingual exam, only those with
    English text (unless `any_language`: what the blueprint check compares with)."""
    levels = LEVEL_ORDER[: LEVEL_ORDER.index(exam.level) + 1]
    query = (select(QuestionVersion.id, QuestionVersion.stem_en, QuestionVersion.options)
             .join(Question, Question.current_version_id == QuestionVersion.id)
             .where(Question.status == QuestionStatus.ACTIVE, QuestionVersion.level.in_(levels),
                    Question.pool.in_((Pool.EXAM, Pool.BOTH)), Question.practised_at.is_(None)))
    english = exam.language.needs_english and not any_language
    if english:
        query = query.where(QuestionVersion.stem_en.is_not(None), QuestionVersion.stem_en != "")
    return sorted(row.id for row in session.execute(query)
                  if not english or wording.has_english(row.stem_en, row.options))


def shortfalls(session: Session, exam: Exam) -> list[rules.Shortfall]:
    """The quotas the pool cannot fill: the frozen pool once published, else what the bank offers
    now (in any language, so that a shortfall of an English exam says how many items lack English)."""
    ids = exam.pool if exam.pool is not None else current_pool_ids(session, exam, any_language=True)
    return rules.shortfalls(blueprint(exam), _pool_items(session, ids), english_only=exam.language.needs_english)


def describe_shortfall(exam: Exam, short: rules.Shortfall) -> str:
    section = next(s for s in exam.sections if s.id == short.section)
    quota = section.quotas[short.quota]
    parts = [str(section.type.label)]
    if quota.module:
        parts.append(str(_l("module %(m)d", m=quota.module)))
    if quota.level:
        parts.append(str(quota.level.label))
    if quota.difficulty:
        parts.append(str(_l("difficulty %(d)d", d=quota.difficulty)))
    if exam.language.needs_english:
        message = _l("Section %(n)d (%(what)s) needs %(needed)d questions with English text; the bank has "
                     "%(available)d.", n=section.position, what=", ".join(parts), needed=short.needed,
                     available=short.available)
        if short.chinese_only:
            return " ".join((str(message), str(_l(
                "Another %(count)d would match but have no English text: add their English, or set the exam "
                "to Chinese.", count=short.chinese_only))))
        return str(message)
    return str(_l("Section %(n)d (%(what)s) needs %(needed)d questions; the bank has %(available)d.",
                  n=section.position, what=", ".join(parts), needed=short.needed, available=short.available))


# --- publication and papers --------------------------------------------------------------------


def generate_paper(session: Session, *, exam: Exam, user: User, seed: str | None = None) -> Paper:
    if exam.pool is None:
        raise DomainError(_l("The exam is not published yet."))
    seed = seed or secrets.token_hex(16)
    drawn = rules.draw(blueprint(exam), _pool_items(session, exam.pool), seed=seed,
                       shuffle_questions=exam.shuffle_questions, shuffle_options=exam.shuffle_options)
    paper = Paper(exam=exam, user_id=user.id, seed=seed)
    paper.items = [PaperItem(position=d.position, section_id=d.section, question_version_id=d.version_id,
                             option_order=list(d.option_order), points=d.points) for d in drawn]
    session.add(paper)
    session.flush()
    return paper


def regenerate(session: Session, paper: Paper) -> list[rules.DrawnItem]:
    """The paper drawn again from its exam's frozen pool and its seed (for an audit)."""
    exam = paper.exam
    return rules.draw(blueprint(exam), _pool_items(session, exam.pool), seed=paper.seed,
                      shuffle_questions=exam.shuffle_questions, shuffle_options=exam.shuffle_options)


def publish(session: Session, *, exam: Exam, actor: User | None, now: datetime) -> int:
    """Freeze the pool and generate a paper for everyone on the roster, so that starting costs one
    small write. Returns the number of papers generated."""
    if exam.status is not ExamStatus.DRAFT:
        raise DomainError(_l("Only a draft exam can be published."))
    if not exam.sections or exam.total_points <= 0:
        raise DomainError(_l("The exam has no questions: add at least one section."))
    if exam.closes_at <= exam.opens_at:
        raise DomainError(_l("The window closes before it opens."))
    exam.pool = None
    short = shortfalls(session, exam)
    if short:
        raise DomainError(" ".join(describe_shortfall(exam, s) for s in short))
    exam.pool = current_pool_ids(session, exam)
    have = set(session.scalars(select(Paper.user_id).where(Paper.exam_id == exam.id)))
    made = 0
    for entry in exam.roster:
        if entry.user_id not in have:
            generate_paper(session, exam=exam, user=entry.user)
            made += 1
    exam.status = ExamStatus.PUBLISHED
    exam.published_at = now
    audit.record(session, "exam.publish", target=exam, actor=actor,
                 after={"papers": made, "pool": len(exam.pool)})
    return made


# --- attempts ----------------------------------------------------------------------------------


def roster_entry(session: Session, exam: Exam, user: User, *, lock: bool = False) -> ExamCandidate | None:
    query = select(ExamCandidate).filter_by(exam_id=exam.id, user_id=user.id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def attempt_of(session: Session, exam: Exam, user: User) -> Attempt | None:
    return session.scalar(select(Attempt).filter_by(exam_id=exam.id, user_id=user.id))


def compute_deadline(exam: Exam, entry: ExamCandidate, started_at: datetime) -> datetime:
    """Start + duration + the candidate's extra time. In a hall with a synchronized start the start
    is the hall's, moved by the pauses so far, whenever the candidate arrives."""
    hall = entry.hall
    if hall is not None and hall.starts_at is not None:
        started_at = hall.starts_at + timedelta(seconds=hall.paused_seconds)
    return rules.deadline(started_at=started_at, duration_minutes=exam.duration_minutes,
                          extra_minutes=entry.extra_minutes, closes_at=exam.closes_at,
                          allow_overrun=exam.allow_overrun)


def waiting_room_minutes() -> int:
    return current_app.config["EXAM_WAITING_ROOM_MINUTES"]


def start_attempt(session: Session, *, exam: Exam, user: User, now: datetime, access_code: str,
                  device_token: str, address: str = "", user_agent: str = "", url: str = "",
                  seb_hash: str | None = None) -> Attempt:
    """Start the candidate's attempt, or resume it on this device (taking it over from another).
    In a hall with a synchronized start, the attempt is made when the candidate enters the waiting
    room, and its clock starts with the hall's."""
    entry = roster_entry(session, exam, user, lock=True)
    if entry is None or exam.status is ExamStatus.DRAFT:
        raise NotAllowed(_l("You are not admitted to this exam."))
    refused = client_refusal(exam, entry.hall, address=address, url=url, seb_hash=seb_hash)
    if refused:
        raise refused
    attempt = attempt_of(session, exam, user)
    if attempt is not None:
        enforce_deadline(session, attempt, now=now)
        if not attempt.open:
            raise TimeUp(_l("You have already submitted this exam."))
        if attempt.device_token != device_token:
            if attempt.hall_id is None:  # no invigilator to ask (an ad-hoc exam): taken over at once
                _take_over(session, attempt=attempt, device_token=device_token, address=address,
                           user_agent=user_agent, now=now, how="direct")
            elif attempt.pending_device_token != device_token:
                attempt.pending_device_token, attempt.pending_address, attempt.pending_at = \
                    device_token, address[:64], now
                session.add(IntegrityEvent(attempt_id=attempt.id, kind="takeover_asked", at=now,
                                           address=address[:64], user_agent=user_agent[:200],
                                           detail=f"held by {attempt.device_address or '?'}"))
            return attempt
        attempt.last_seen_at = now
        return attempt
    if exam.status is not ExamStatus.PUBLISHED or exam.results_released_at is not None:
        raise DomainError(_l("This exam is closed."))
    hall = entry.hall
    starts_at = hall.starts_at if hall is not None else None
    if starts_at is not None:
        if rules.waiting_room(starts_at=starts_at, now=now, opens_minutes=waiting_room_minutes()) == "early":
            opens = starts_at - timedelta(minutes=waiting_room_minutes())
            raise DomainError(_l("The waiting room opens at %(time)s; the exam starts at %(start)s.",
                                 time=format_datetime(opens, "HH:mm"), start=format_datetime(starts_at, "HH:mm")))
    elif now < exam.opens_at:
        raise DomainError(_l("The exam opens at %(time)s.", time=format_datetime(exam.opens_at, "HH:mm")))
    if now >= exam.closes_at:
        raise DomainError(_l("The exam window has closed."))
    if exam.access_code:
        _check_access_code(session, exam=exam, user=user, access_code=access_code, now=now)
    paper = session.scalar(select(Paper).filter_by(exam_id=exam.id, user_id=user.id))
    if paper is None:  # enrolled after publication: the fallback
        paper = generate_paper(session, exam=exam, user=user)
    if entry.hall is not None and entry.hall.paused_at is not None:
        raise DomainError(_l("Your hall is paused by the invigilator. Start when the exam goes on."))
    started_at = max(now, starts_at) if starts_at is not None else now
    attempt = Attempt(exam=exam, user_id=user.id, paper=paper, status=AttemptStatus.IN_PROGRESS,
                      started_at=started_at, deadline=compute_deadline(exam, entry, now), device_token=device_token,
                      chain_head=rules.GENESIS, last_seen_at=now, hall_id=entry.hall_id,
                      device_address=address[:64])
    session.add(attempt)
    session.flush()
    audit.record(session, "exam.start", target=attempt, actor=user, after={"deadline": attempt.deadline})
    return attempt


def attempt_state(attempt: Attempt, now: datetime, device_token: str | None = None) -> rules.AttemptState:
    """The attempt's state now, for the device holding `device_token` (None: whichever device)."""
    return rules.attempt_state(in_progress=attempt.open, deadline=attempt.deadline,
                               grace_seconds=attempt.exam.grace_seconds, now=now,
                               same_device=device_token is None or device_token == attempt.device_token,
                               paused_at=paused_at(attempt), starts_at=attempt.started_at,
                               waiting=device_token is not None and device_token == attempt.pending_device_token)


def remaining_seconds(attempt: Attempt, now: datetime) -> int:
    """What the attempt's clock shows now (standing while paused, full before the start)."""
    return rules.remaining_seconds(deadline=attempt.deadline, now=now, paused_at=paused_at(attempt),
                                   starts_at=attempt.started_at)


def paused_at(attempt: Attempt) -> datetime | None:
    """Since when the attempt's hall is paused, or None."""
    return attempt.hall.paused_at if attempt.hall_id is not None and attempt.hall is not None else None


def _take_over(session: Session, *, attempt: Attempt, device_token: str, address: str, user_agent: str,
               now: datetime, how: str, actor: User | None = None) -> None:
    """Hand the attempt to another device; the old one is told at its next request and stops.
    An integrity event records both devices' addresses and how it was allowed."""
    by = f", approved by {actor.username}" if actor is not None else ""
    session.add(IntegrityEvent(attempt_id=attempt.id, kind="takeover", at=now, address=address[:64],
                               user_agent=user_agent[:200],
                               detail=f"{attempt.device_address or '?'} -> {address or '?'} ({how}{by})"[:500]))
    attempt.device_token, attempt.device_address = device_token, address[:64]
    attempt.pending_device_token, attempt.pending_address, attempt.pending_at = None, "", None
    attempt.last_seen_at = now


def takeover_code(attempt: Attempt) -> str | None:
    """The one-time code the invigilator reads out to let a waiting device take the attempt over:
    derived from this request (attempt, device, time) with the secret key, so nothing is stored
    and a new request gets a new code."""
    if attempt.pending_device_token is None:
        return None
    message = f"{attempt.public_id}:{attempt.pending_device_token}:{attempt.pending_at.isoformat()}"
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), message.encode(), "sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**6:06d}"


def approve_takeover(session: Session, *, attempt: Attempt, actor: User, now: datetime) -> None:
    """The invigilator lets the waiting device take the attempt over."""
    if attempt.pending_device_token is None or not attempt.open:
        raise DomainError(_l("No computer is waiting to take this exam over."))
    _take_over(session, attempt=attempt, device_token=attempt.pending_device_token,
               address=attempt.pending_address, user_agent="", now=now, how="invigilator", actor=actor)
    audit.record(session, "exam.takeover_approved", target=attempt, actor=actor)


def take_over_with_code(session: Session, *, attempt: Attempt, device_token: str, code: str, address: str,
                        user_agent: str, now: datetime) -> None:
    """The waiting device types the code the invigilator read out. Wrong codes back off."""
    key, policy = f"takeover-code:{attempt.id}", _access_code_policy()
    wait = throttle.check(session, key, policy, now=now)
    expected = takeover_code(attempt) if attempt.pending_device_token == device_token else None
    if not wait and expected and hmac.compare_digest(expected, (code or "").strip()):
        _take_over(session, attempt=attempt, device_token=device_token, address=address, user_agent=user_agent,
                   now=now, how="code")
        return
    if not wait:
        wait = throttle.hit(session, key, policy, now=now)
        if not wait:
            raise WrongAccessCode(_l("That is not the code. Ask the invigilator to read it out again."),
                                  field="code")
    raise Throttled(_l("Too many wrong codes. Try again in %(n)d seconds, or ask the invigilator to approve "
                       "this computer.", n=wait), retry_after=wait)


def is_overdue(attempt: Attempt, now: datetime) -> bool:
    return attempt_state(attempt, now) is rules.AttemptState.OVERDUE


def enforce_deadline(session: Session, attempt: Attempt, *, now: datetime) -> bool:
    """Close an attempt whose time is over (every request checks; the scheduler sweeps)."""
    if is_overdue(attempt, now):
        submit(session, attempt=attempt, now=now, by="timer")
        return True
    return False


def client_refusal(exam: Exam, hall: ExamHall | None, *, address: str, url: str,
                   seb_hash: str | None) -> DomainError | None:
    """Why this client may not answer `exam` in `hall` (outside the allowed networks, not in Safe
    Exam Browser with the configuration), or None. A hall's own settings override the exam's.
    Names nothing secret."""
    networks = rules.lines(hall.networks if hall is not None else exam.allowed_networks)
    if networks and not addresses.in_networks(address, networks):
        return NotAllowed(_l("This exam can be taken only from the exam hall's network. Ask the invigilator."))
    keys = rules.lines(hall.config_keys if hall is not None else exam.seb_config_keys)
    if keys and not rules.seb_request_ok(url=url, header=seb_hash, config_keys=keys):
        return NotAllowed(_l("This exam must be taken in Safe Exam Browser with the exam's configuration. Open "
                             "the exam's SEB file, or ask the invigilator."))
    return None


def refusal(attempt: Attempt, state: rules.AttemptState) -> DomainError:
    """Why an attempt in `state` takes nothing from this device now, in the candidate's words."""
    if state is rules.AttemptState.TAKEN_OVER:
        return TakenOver(_l("This exam was opened on another computer, which now holds it. This page no longer "
                            "saves answers: close it."))
    if state is rules.AttemptState.OVERDUE or attempt.submitted_by in ("timer", "scheduler"):
        return TimeUp(_l("Time is up: the exam closed at %(time)s (server time). This answer was not saved.",
                         time=format_datetime(attempt.deadline, "HH:mm:ss")))
    if state is rules.AttemptState.CLOSED:
        return TimeUp(_l("This exam has been submitted; answers can no longer be changed."))
    if state is rules.AttemptState.WAITING:
        return Waiting(_l("This exam is open on another computer. The invigilator must approve this one first."))
    if state is rules.AttemptState.READY:
        return NotStarted(_l("The exam has not started yet: it starts at %(time)s.",
                             time=format_datetime(attempt.started_at, "HH:mm:ss")))
    if state is rules.AttemptState.PAUSED:
        return Paused(_l("Paused by the invigilator. The clock has stopped and nothing is lost: your answers "
                         "are saved as soon as the exam goes on."))
    return Conflict(_l("This exam takes no answers at the moment."))


@dataclass
class SaveResult:
    acks: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


def _answered(response) -> bool:
    return response not in (None, [], "")


_ATTEMPTS, _ANSWERS, _EVENTS = Attempt.__table__, Answer.__table__, AnswerEvent.__table__
_ITEMS, _VERSIONS = PaperItem.__table__, QuestionVersion.__table__
_UPDATE_ANSWER = (update(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer_id"))
                  .values(response=bindparam("response"), flagged=bindparam("flagged"), seq=bindparam("seq"),
                          saved_at=bindparam("saved_at")))
# The autosave's statements, built once (building and keying a statement costs more than running
# it on SQLite): the claim of the attempt row, the saved items with their stored answers, and the
# advance of the hash chain and the counters.
_CLAIM = (update(_ATTEMPTS)
          .where(_ATTEMPTS.c.id == bindparam("attempt_id"), _ATTEMPTS.c.status == AttemptStatus.IN_PROGRESS,
                 _ATTEMPTS.c.device_token == bindparam("device"))
          .values(last_seen_at=bindparam("now")).returning(_ATTEMPTS.c.chain_head, _ATTEMPTS.c.event_count))
_SAVED_ITEMS = (
    select(_ITEMS.c.id, _ITEMS.c.option_order, _VERSIONS.c.type, _VERSIONS.c.answer.label("key"),
           _ANSWERS.c.id.label("answer_id"), _ANSWERS.c.seq, _ANSWERS.c.response, _ANSWERS.c.saved_at)
    .join(_VERSIONS, _VERSIONS.c.id == _ITEMS.c.question_version_id)
    .outerjoin(_ANSWERS, (_ANSWERS.c.attempt_id == bindparam("attempt_id")) & (_ANSWERS.c.item_id == _ITEMS.c.id))
    .where(_ITEMS.c.paper_id == bindparam("paper_id"), _ITEMS.c.id.in_(bindparam("items", expanding=True))))
_ADVANCE = (update(_ATTEMPTS).where(_ATTEMPTS.c.id == bindparam("attempt_id"))
            .values(chain_head=bindparam("head"), answered_count=_ATTEMPTS.c.answered_count + bindparam("answered"),
                    event_count=_ATTEMPTS.c.event_count + bindparam("events")))


def _is_id(value) -> bool:
    """A JSON number that can be an item id or a sequence number (not a bool, within 32 bits)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= rules.MAX_SEQ


def save_answers(session: Session, *, attempt: Attempt, device_token: str, saves: list[dict], now: datetime,
                 address: str = "", user_agent: str = "") -> SaveResult:
    """Store a batch of saves. A save carries the item, the response, the flag and a sequence
    number: a save older than the stored one is ignored (but acknowledged), so a stale request
    never overwrites a newer answer, and re-sending a save is harmless.

    This is the hot path of an exam hall, so it speaks SQL directly: it claims the attempt row
    first (a row lock on PostgreSQL, the write lock on SQLite), so that concurrent saves of one
    attempt take turns and each extends the hash chain from the head the previous one wrote."""
    state = attempt_state(attempt, now, device_token)
    if state not in (rules.AttemptState.OPEN, rules.AttemptState.GRACE):
        raise refusal(attempt, state)
    session.flush()
    claimed = session.execute(_CLAIM, {"attempt_id": attempt.id, "device": device_token, "now": now}).first()
    if claimed is None:  # closed or taken over since it was loaded
        session.refresh(attempt)
        raise refusal(attempt, attempt_state(attempt, now, device_token))
    head = claimed.chain_head
    wanted = {save["item"] for save in saves if isinstance(save, dict) and _is_id(save.get("item"))}
    params = {"attempt_id": attempt.id, "paper_id": attempt.paper_id, "items": sorted(wanted)}
    rows = {row.id: row for row in session.execute(_SAVED_ITEMS, params)} if wanted else {}
    inserts: dict[int, dict] = {}  # item → the answer row this batch adds, or changes
    updates: dict[int, dict] = {}
    events = []
    answered_delta = 0
    result = SaveResult()
    for save in saves:
        item = save.get("item") if isinstance(save, dict) else None
        row = rows.get(item) if _is_id(item) else None
        seq = save.get("seq") if isinstance(save, dict) else None
        if row is None or not _is_id(seq):
            result.rejected.append({"item": save.get("item") if isinstance(save, dict) else None,
                                    "reason": "bad_request"})
            continue
        kind = qtypes.get(row.type)
        response = save.get("response")
        problem = kind.response_problem(response, option_keys=row.option_order, key=row.key)
        if problem:
            result.rejected.append({"item": row.id, "reason": problem})
            continue
        response = kind.normalise_response(response)
        flagged = bool(save.get("flagged", False))
        stored = inserts.get(row.id) or updates.get(row.id) or (
            {"seq": row.seq, "response": row.response, "saved_at": row.saved_at} if row.answer_id else None)
        if stored is not None and seq <= stored["seq"]:
            result.acks.append({"item": row.id, "seq": stored["seq"], "saved_at": stored["saved_at"].isoformat()})
            continue
        answered_delta += _answered(response) - _answered(stored["response"] if stored else None)
        values = {"response": response, "flagged": flagged, "seq": seq, "saved_at": now}
        if row.answer_id is None:
            inserts[row.id] = {"attempt_id": attempt.id, "item_id": row.id, **values}
        else:
            updates[row.id] = {"answer_id": row.answer_id, **values}
        digest = rules.chain_hash(head, attempt=attempt.public_id, item=row.id, seq=seq, response=response,
                                  flagged=flagged, at=now)
        events.append({"attempt_id": attempt.id, "item_id": row.id, "seq": seq, "response": response,
                       "flagged": flagged, "at": now, "address": address[:64], "user_agent": user_agent[:200],
                       "prev_hash": head, "hash": digest})
        head = digest
        result.acks.append({"item": row.id, "seq": seq, "saved_at": now.isoformat()})
    if events:
        if claimed.event_count + len(events) > current_app.config["MAX_ANSWER_EVENTS"]:
            raise Throttled(_l("This exam has taken far more saves than any candidate needs; nothing more is "
                               "saved. Tell the invigilator."), retry_after=3600)
        if inserts:
            session.execute(insert(_ANSWERS), list(inserts.values()))
        if updates:
            session.execute(_UPDATE_ANSWER, list(updates.values()))
        session.execute(insert(_EVENTS), events)
        session.execute(_ADVANCE, {"attempt_id": attempt.id, "head": head, "answered": answered_delta,
                                   "events": len(events)})
    # The ORM's copy of the attempt is now behind the database: reload what was written if asked.
    session.expire(attempt, ["chain_head", "answered_count", "last_seen_at", "answers"])
    return result


def record_events(session: Session, *, attempt: Attempt, kinds: list[str], now: datetime, address: str = "",
                  user_agent: str = "") -> str:
    """Record the page's integrity events and apply the exam's focus-loss policy: returns what the
    count now calls for (rules.focus_response: "", "warn", "alert" or "submit", done here)."""
    # Rows are bounded per attempt (the counter of focus losses goes on counting).
    room = current_app.config["MAX_INTEGRITY_EVENTS"] - session.scalar(
        select(func.count(IntegrityEvent.id)).where(IntegrityEvent.attempt_id == attempt.id))
    for kind in kinds[:50]:
        if kind not in ("hidden", "visible", "blur", "focus", "offline", "online"):
            continue
        if room > 0:
            session.add(IntegrityEvent(attempt_id=attempt.id, kind=kind, at=now, address=address[:64],
                                       user_agent=user_agent[:200]))
            room -= 1
        if kind in ("hidden", "blur"):
            attempt.focus_losses += 1
    attempt.last_seen_at = now
    session.flush()
    exam = attempt.exam
    response = rules.focus_response(attempt.focus_losses, warn_at=exam.focus_warn_at, alert_at=exam.focus_alert_at,
                                    submit_at=exam.focus_submit_at)
    if response == "submit":
        submit(session, attempt=attempt, now=now, by="focus")
        audit.record(session, "exam.focus_submit", target=attempt, after={"focus_losses": attempt.focus_losses})
    return response


# --- submission and grading --------------------------------------------------------------------


def _overrides(session: Session, exam: Exam) -> dict[int, KeyOverride]:
    return {o.question_version_id: o for o in session.scalars(select(KeyOverride).filter_by(exam_id=exam.id))}


def paper_items(session: Session, attempt: Attempt) -> list[PaperItem]:
    """The attempt's paper in order, each item with its question version: one query, not one a
    question (the answering page and grading read every item)."""
    return list(session.scalars(select(PaperItem).where(PaperItem.paper_id == attempt.paper_id)
                                .order_by(PaperItem.position).options(joinedload(PaperItem.version))))


@dataclass
class _Item:
    id: int
    section_id: int
    points: Decimal
    version_id: int
    type: str
    key: object


def _grade_paper(exam: Exam, items: list[_Item], responses: dict[int, object],
                 overrides: dict[int, KeyOverride]) -> tuple[Decimal, dict[str, str], dict[int, rules.Grade]]:
    """The total, the section scores and each item's grade: the one place grading is worked out."""
    sections: dict[str, Decimal] = {}
    grades: dict[int, rules.Grade] = {}
    for item in items:
        override = overrides.get(item.version_id)
        if override is not None and override.void:
            graded = rules.Grade(rules.money(item.points), True)
        else:
            graded = rules.grade(item.type, responses.get(item.id), override.answer if override else item.key,
                                 points=item.points, multiple_rule=exam.multiple_rule.value,
                                 partial_fraction=exam.partial_fraction)
        grades[item.id] = graded
        key = str(item.section_id)
        sections[key] = sections.get(key, Decimal(0)) + graded.score
    total = rules.money(sum(sections.values(), Decimal(0)))
    return total, {k: str(rules.money(v)) for k, v in sections.items()}, grades


_GRADE_ANSWER = (update(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer_id"))
                 .values(score=bindparam("score"), correct=bindparam("correct")))
_GRADE_ATTEMPT = (update(_ATTEMPTS).where(_ATTEMPTS.c.id == bindparam("attempt_id"),
                                          _ATTEMPTS.c.status != AttemptStatus.IN_PROGRESS)
                  .values(score=bindparam("score"), section_scores=bindparam("section_scores")))
_ATTEMPT_ROW = select(_ATTEMPTS.c.id, _ATTEMPTS.c.paper_id, _ATTEMPTS.c.exam_id).where(
    _ATTEMPTS.c.status != AttemptStatus.IN_PROGRESS).order_by(_ATTEMPTS.c.id)


def _grade(session: Session, attempts: list, *, ungraded_only: bool) -> None:
    """Grade closed attempts (rows of id, paper_id, exam_id) under their exams' key decisions. It
    reads everything first and then writes in three statements, so on SQLite the write lock is
    held for milliseconds. `ungraded_only` leaves alone an attempt another grader got to first."""
    exam_ids = {row.exam_id for row in attempts}
    exams = {e.id: e for e in session.scalars(select(Exam).where(Exam.id.in_(exam_ids)))}
    overrides: dict[int, dict[int, KeyOverride]] = {exam_id: {} for exam_id in exam_ids}
    for o in session.scalars(select(KeyOverride).where(KeyOverride.exam_id.in_(exam_ids))):
        overrides[o.exam_id][o.question_version_id] = o
    papers: dict[int, list[_Item]] = {}
    for row in session.execute(
            select(_ITEMS.c.id, _ITEMS.c.paper_id, _ITEMS.c.section_id, _ITEMS.c.points, _VERSIONS.c.id.label("vid"),
                   _VERSIONS.c.type, _VERSIONS.c.answer)
            .join(_VERSIONS, _VERSIONS.c.id == _ITEMS.c.question_version_id)
            .where(_ITEMS.c.paper_id.in_({row.paper_id for row in attempts}))):
        papers.setdefault(row.paper_id, []).append(
            _Item(row.id, row.section_id, row.points, row.vid, QuestionType(row.type).value, row.answer))
    answers: dict[int, dict[int, tuple[int, object]]] = {}
    for row in session.execute(select(_ANSWERS.c.id, _ANSWERS.c.attempt_id, _ANSWERS.c.item_id, _ANSWERS.c.response)
                               .where(_ANSWERS.c.attempt_id.in_({row.id for row in attempts}))):
        answers.setdefault(row.attempt_id, {})[row.item_id] = (row.id, row.response)
    answer_rows, attempt_rows = [], []
    for row in attempts:
        given = answers.get(row.id, {})
        total, sections, grades = _grade_paper(exams[row.exam_id], papers.get(row.paper_id, []),
                                               {item: response for item, (_id, response) in given.items()},
                                               overrides[row.exam_id])
        answer_rows += [{"answer_id": answer_id, "score": grades[item].score, "correct": grades[item].correct}
                        for item, (answer_id, _response) in given.items() if item in grades]
        attempt_rows.append({"attempt_id": row.id, "score": total, "section_scores": sections})
    if answer_rows:
        session.execute(_GRADE_ANSWER, answer_rows)
    session.execute(_GRADE_ATTEMPT.where(_ATTEMPTS.c.score.is_(None)) if ungraded_only else _GRADE_ATTEMPT,
                    attempt_rows)
    graded = {row.id for row in attempts}
    for obj in list(session.identity_map.values()):  # the ORM's copies are behind what was written
        if (isinstance(obj, Attempt) and obj.id in graded) or (isinstance(obj, Answer) and obj.attempt_id in graded):
            session.expire(obj)


def grade_pending(session: Session, *, exam: Exam | None = None, attempt: Attempt | None = None,
                  limit: int | None = None) -> int:
    """Grade closed attempts that have no score yet (all, an exam's, or one), `limit` at most;
    returns how many. Grading twice gives the same scores, and an attempt reopened meanwhile is
    left alone."""
    query = _ATTEMPT_ROW.where(_ATTEMPTS.c.score.is_(None))
    if exam is not None:
        query = query.where(_ATTEMPTS.c.exam_id == exam.id)
    if attempt is not None:
        query = query.where(_ATTEMPTS.c.id == attempt.id)
    pending = session.execute(query.limit(limit)).all()
    if pending:
        _grade(session, pending, ungraded_only=True)
    return len(pending)


GRADE_CHUNK = 100


@scheduler.job("exam.grade_submitted", trigger="interval", seconds=5)
def grade_submitted(session: Session, *, now: datetime, budget: float = 4.0) -> int:
    """Grade what was submitted since the last run, a chunk at a time, each chunk committed (a
    sweep driven by the attempts' state, so a run cut short loses nothing: the next goes on)."""
    stop = time.monotonic() + budget
    graded = 0
    while time.monotonic() < stop:
        done = grade_pending(session, limit=GRADE_CHUNK)
        session.commit()
        graded += done
        if done < GRADE_CHUNK:
            break
    return graded


def submit(session: Session, *, attempt: Attempt, now: datetime, by: str, actor: User | None = None) -> Attempt:
    """Close the attempt and fix its receipt: exactly once, and cheaply, since a whole hall submits
    in the last seconds. The close is a conditional UPDATE, so of two submissions racing (a double
    click, the timer and the sweep) one closes and the other finds the attempt closed. Grading
    follows apart: the grading job within seconds, or `grade_pending` wherever a score is needed."""
    if not attempt.open:
        return attempt
    status = AttemptStatus.SUBMITTED if by == "candidate" else AttemptStatus.AUTO_SUBMITTED
    # Closed by the clock: the exam ended at the deadline, whenever the sweep noticed it.
    submitted_at = attempt.deadline if by in ("timer", "scheduler") else now
    session.flush()
    closed = session.execute(
        update(_ATTEMPTS).where(_ATTEMPTS.c.id == attempt.id, _ATTEMPTS.c.status == AttemptStatus.IN_PROGRESS)
        .values(status=status, submitted_at=submitted_at, submitted_by=by))
    if closed.rowcount == 0:
        session.refresh(attempt)
        return attempt
    # Read after the close, which holds the attempt: no save can land after these answers.
    final = {position: response for position, response in session.execute(
        select(_ITEMS.c.position, _ANSWERS.c.response).join(_ITEMS, _ITEMS.c.id == _ANSWERS.c.item_id)
        .where(_ANSWERS.c.attempt_id == attempt.id)) if _answered(response)}
    digest = rules.answers_digest(final)
    session.execute(update(_ATTEMPTS).where(_ATTEMPTS.c.id == attempt.id).values(receipt_digest=digest))
    for name, value in (("status", status), ("submitted_at", submitted_at), ("submitted_by", by),
                        ("receipt_digest", digest)):
        set_committed_value(attempt, name, value)
    audit.record(session, "exam.submit", target=attempt, actor=actor, after={"by": by, "answers": len(final)})
    return attempt


@scheduler.job("exam.close_overdue", trigger="interval", seconds=30)
def close_overdue(session: Session, *, now: datetime) -> int:
    """Submit every attempt whose time (and grace) is over, even if the candidate never returns."""
    overdue = session.scalars(
        select(Attempt).where(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline < now)
        .options(joinedload(Attempt.exam), joinedload(Attempt.hall)).with_for_update(skip_locked=True, of=Attempt)
    ).all()
    closed = 0
    for attempt in overdue:
        if is_overdue(attempt, now):
            submit(session, attempt=attempt, now=now, by="scheduler")
            closed += 1
    return closed


def verify_chain(session: Session, attempt: Attempt) -> bool:
    """Recompute the hash chain from the stored events; True when it ends at the attempt's head."""
    head = rules.GENESIS
    events = session.scalars(select(AnswerEvent).where(AnswerEvent.attempt_id == attempt.id)
                             .order_by(AnswerEvent.id))
    for e in events:
        if e.prev_hash != head:
            return False
        head = rules.chain_hash(head, attempt=attempt.public_id, item=e.item_id, seq=e.seq, response=e.response,
                                flagged=e.flagged, at=e.at)
        if head != e.hash:
            return False
    return head == attempt.chain_head


# --- proctor -----------------------------------------------------------------------------------


def grant_extra_time(session: Session, *, exam: Exam, user: User, minutes: int, reason: str, actor: User,
                     now: datetime) -> ExamCandidate:
    if not reason.strip():
        raise DomainError(_l("Give a reason."), field="reason")
    entry = roster_entry(session, exam, user, lock=True)
    if entry is None:
        raise DomainError(_l("The candidate is not on this exam's roster."))
    entry.extra_minutes += minutes
    attempt = attempt_of(session, exam, user)
    if attempt is not None and attempt.open:  # added to the deadline as it stands (pauses, compensation)
        later = attempt.deadline + timedelta(minutes=minutes)
        if not exam.allow_overrun:
            later = min(later, max(exam.closes_at, attempt.deadline))
        attempt.deadline = later
    audit.record(session, "exam.extra_time", target=exam, actor=actor, comment=reason,
                 after={"user": user.username, "minutes": minutes, "total_extra": entry.extra_minutes})
    return entry


def compensate(session: Session, *, exam: Exam, minutes: int, reason: str, actor: User, now: datetime,
               hall_id: int | None = None) -> int:
    """Give every candidate still answering `minutes` more after an incident (network or power
    loss), in the whole exam or in one hall. Compensation repays lost time, so it may run past the
    window's close."""
    if not reason.strip():
        raise DomainError(_l("Give a reason."), field="reason")
    query = select(Attempt).where(Attempt.exam_id == exam.id, Attempt.status == AttemptStatus.IN_PROGRESS)
    if hall_id is not None:
        query = query.where(Attempt.hall_id == hall_id)
    attempts = session.scalars(query.with_for_update()).all()
    for attempt in attempts:
        attempt.deadline = attempt.deadline + timedelta(minutes=minutes)
    audit.record(session, "exam.compensate", target=exam, actor=actor, comment=reason,
                 after={"minutes": minutes, "attempts": len(attempts), "hall": hall_id})
    return len(attempts)


def force_submit(session: Session, *, attempt: Attempt, reason: str, actor: User, now: datetime) -> None:
    if not reason.strip():
        raise DomainError(_l("Give a reason."), field="reason")
    submit(session, attempt=attempt, now=now, by="proctor", actor=actor)
    audit.record(session, "exam.force_submit", target=attempt, actor=actor, comment=reason)


def reopen(session: Session, *, attempt: Attempt, minutes: int, reason: str, actor: User, now: datetime) -> None:
    if not reason.strip():
        raise DomainError(_l("Give a reason."), field="reason")
    if attempt.open:
        raise DomainError(_l("The attempt is still open."))
    if attempt.exam.results_released_at is not None:
        raise DomainError(_l("The results of this exam are released, so its keys are known: an attempt can no "
                             "longer be reopened."))
    before = {"status": attempt.status.value, "score": attempt.score}
    attempt.status = AttemptStatus.IN_PROGRESS
    attempt.deadline = now + timedelta(minutes=minutes)
    attempt.submitted_at = None
    attempt.score = None
    attempt.reopen_count += 1
    audit.record(session, "exam.reopen", target=attempt, actor=actor, comment=reason, before=before,
                 after={"status": attempt.status.value, "deadline": attempt.deadline})


def release_results(session: Session, *, exam: Exam, actor: User, now: datetime) -> None:
    if exam.results_released_at is not None:
        return
    open_attempts = session.scalar(select(Attempt.id).where(Attempt.exam_id == exam.id,
                                                            Attempt.status == AttemptStatus.IN_PROGRESS).limit(1))
    if open_attempts is not None:
        raise DomainError(_l("Some candidates are still answering: results can be released once every attempt "
                             "is submitted."))
    # Released keys must not reach anyone who can still start (issue 12 M8): before the window
    # closes, every roster member must have submitted.
    if now < exam.closes_at:
        not_started = session.scalar(
            select(func.count(ExamCandidate.id)).where(ExamCandidate.exam_id == exam.id).where(
                ~select(Attempt.id).where(Attempt.exam_id == exam.id, Attempt.user_id == ExamCandidate.user_id)
                .exists()))
        if not_started:
            raise DomainError(_l("%(n)d admitted candidate(s) have not sat the exam and could still start it: "
                                 "results can be released when the exam window closes at %(time)s.",
                                 n=not_started, time=format_datetime(exam.closes_at, "yyyy-MM-dd HH:mm")))
    grade_pending(session, exam=exam)
    exam.results_released_at = now
    record_item_stats(session, exam)
    audit.record(session, "exam.release_results", target=exam, actor=actor)
    link = path_for("exam.my_exams")
    for user_id, email in session.execute(select(Attempt.user_id, User.email).join(User, User.id == Attempt.user_id)
                                          .where(Attempt.exam_id == exam.id)):
        notify(session, email=email, user_id=user_id, link=link,
               subject=str(_l("Theory exam result released: %(title)s", title=exam.title)),
               body=str(_l("The result of %(title)s is released: your score is on your exams page.",
                           title=exam.title)))


# --- item analysis -----------------------------------------------------------------------------


def item_analysis(session: Session, exam: Exam):
    """Classical item statistics over every submitted attempt (question_bank.analysis). Items are
    question versions; a question left unanswered counts as 0."""
    from question_bank.analysis import Response, analyse

    grade_pending(session, exam=exam)
    attempts = session.scalars(
        select(Attempt).where(Attempt.exam_id == exam.id, Attempt.status != AttemptStatus.IN_PROGRESS)
        .options(selectinload(Attempt.answers), selectinload(Attempt.paper).selectinload(Paper.items))
    ).all()
    responses, versions = [], {}
    for attempt in attempts:
        answers = {a.item_id: a for a in attempt.answers}
        for item in attempt.paper.items:
            answer = answers.get(item.id)
            versions[item.question_version_id] = item.version
            chosen = answer.response if answer is not None else None
            choice = item.version.kind.choices_of(chosen) if chosen is not None else ()
            responses.append(Response(attempt.public_id, str(item.question_version_id),
                                      float(answer.score or 0) if answer is not None else 0.0, float(item.points),
                                      choice))
    items, stats = analyse(responses)
    rows = sorted(((versions[int(k)], v) for k, v in items.items()), key=lambda r: r[0].question.code)
    return rows, stats


def record_item_stats(session: Session, exam: Exam) -> int:
    """Keep a released exam's item statistics in the bank, per question version (the bank's list
    pools them across exams): on release, and for exams released before the bank kept them. Writing
    them again replaces them. Returns the number of versions recorded."""
    rows, _stats = item_analysis(session, exam)
    return bank.record_exam_stats(
        session, exam_id=exam.id, exam_title=exam.title, released_at=exam.results_released_at,
        figures=[bank.ItemFigure(version.id, s.n, s.facility, s.discrimination, s.flags) for version, s in rows])


def backfill_item_stats(session: Session) -> list[tuple[Exam, int]]:
    """Record the item statistics of every released exam (`flask exam item-stats`)."""
    exams = session.scalars(select(Exam).where(Exam.results_released_at.is_not(None)).order_by(Exam.id)).all()
    return [(exam, record_item_stats(session, exam)) for exam in exams]



# --- item challenges and key decisions ---------------------------------------------------------


def challenge_item(session: Session, *, attempt: Attempt, item_id: int, note: str, now: datetime) -> ItemChallenge:
    """During the exam a candidate may report that a question looks faulty (one report per
    question; a second one replaces the note)."""
    if not attempt.open:
        raise TimeUp(_l("This exam has been submitted; answers can no longer be changed."))
    item = next((i for i in attempt.paper.items if i.id == item_id), None)
    note = (note or "").strip()
    if item is None or not note:
        raise DomainError(_l("Say what looks wrong with the question."))
    existing = session.scalar(select(ItemChallenge).filter_by(attempt_id=attempt.id, item_id=item.id))
    if existing is None:
        existing = ItemChallenge(attempt_id=attempt.id, item_id=item.id,
                                 question_version_id=item.question_version_id, note=note[:500], created_at=now)
        session.add(existing)
    else:
        existing.note, existing.created_at = note[:500], now
    session.flush()
    return existing


@dataclass(frozen=True)
class RegradeLine:
    attempt: Attempt
    before: Decimal
    after: Decimal


def decide_challenges(session: Session, *, exam: Exam, version_id: int, decision: str, new_key, reason: str,
                      actor: User | None, now: datetime) -> list[RegradeLine]:
    """Settle the reports on one question: "dismiss" keeps the key; "rekey" sets a corrected key;
    "void" gives everyone the points. A key decision regrades every submitted attempt whose paper
    holds the question and records each score before and after."""
    if exam.results_released_at is not None:
        raise DomainError(_l("Results are released: key decisions are closed."))
    if not reason.strip():
        raise DomainError(_l("Give a reason."), field="reason")
    version = session.get(QuestionVersion, version_id)
    if version is None:
        raise DomainError(_l("Unknown question."))
    challenges = session.scalars(
        select(ItemChallenge).join(Attempt).where(Attempt.exam_id == exam.id,
                                                  ItemChallenge.question_version_id == version_id)).all()
    if decision == "dismiss":
        status = ChallengeStatus.DISMISSED
    elif decision in ("rekey", "void"):
        status = ChallengeStatus.UPHELD
        if decision == "rekey":
            problems = qrules.validate({**version.content(), "answer": new_key})
            if problems:
                raise DomainError(_l("The new key does not fit the question."), field="new_key")
        override = session.scalar(select(KeyOverride).filter_by(exam_id=exam.id, question_version_id=version_id))
        if override is None:
            override = KeyOverride(exam_id=exam.id, question_version_id=version_id, created_at=now)
            session.add(override)
        override.void, override.answer = decision == "void", None if decision == "void" else new_key
        override.reason, override.created_by_id = reason, getattr(actor, "id", None)
        session.flush()
    else:
        raise DomainError(_l("Unknown decision."))
    for c in challenges:
        c.status, c.resolution, c.resolved_at = status, reason[:500], now
    lines = []
    if status is ChallengeStatus.UPHELD:
        grade_pending(session, exam=exam)  # "before" is the score under the old key
        attempts = session.scalars(
            select(Attempt).join(Paper, Attempt.paper_id == Paper.id).join(PaperItem, PaperItem.paper_id == Paper.id)
            .where(Attempt.exam_id == exam.id, Attempt.status != AttemptStatus.IN_PROGRESS,
                   PaperItem.question_version_id == version_id)).unique().all()
        before = {attempt.id: attempt.score or Decimal(0) for attempt in attempts}
        if attempts:
            _grade(session, session.execute(_ATTEMPT_ROW.where(_ATTEMPTS.c.id.in_(before))).all(),
                   ungraded_only=False)
        for attempt in attempts:
            session.add(Regrade(exam_id=exam.id, attempt_id=attempt.id, question_version_id=version_id,
                                before=before[attempt.id], after=attempt.score, at=now, reason=reason[:500]))
            lines.append(RegradeLine(attempt, before[attempt.id], attempt.score))
    session.flush()
    audit.record(session, f"exam.challenge_{decision}", target=exam, actor=actor, comment=reason,
                 after={"question": version.question.code, "version": version.number, "key": new_key,
                        "regraded": len(lines)})
    return lines


def challenges_by_question(session: Session, exam: Exam) -> list[tuple]:
    """(question version, its reports, the key decision if any) for every reported question."""
    rows = session.scalars(select(ItemChallenge).join(Attempt).where(Attempt.exam_id == exam.id)
                           .order_by(ItemChallenge.created_at)).all()
    overrides = _overrides(session, exam)
    grouped: dict[int, list[ItemChallenge]] = {}
    for c in rows:
        grouped.setdefault(c.question_version_id, []).append(c)
    return [(session.get(QuestionVersion, vid), items, overrides.get(vid)) for vid, items in grouped.items()]


# --- for other packages: bulk reads --------------------------------------------------------------


@dataclass(frozen=True)
class ExamDigest:
    """One exam of an event at a glance (the event's cockpit)."""

    public_id: str
    title: str
    status: str  # ExamStatus value
    opens_at: datetime
    closes_at: datetime
    released: bool
    roster: int
    submitted: int
    in_progress: int


def event_exams(session: Session, event_id: int) -> list[ExamDigest]:
    """The event's exams with their roster and attempt counts: three statements however many
    candidates sit them."""
    exams = session.execute(select(Exam.id, Exam.public_id, Exam.title, Exam.status, Exam.opens_at, Exam.closes_at,
                                   Exam.results_released_at).where(Exam.event_id == event_id)
                            .order_by(Exam.opens_at, Exam.id)).all()
    ids = [e.id for e in exams]
    roster = dict(session.execute(select(ExamCandidate.exam_id, func.count()).where(ExamCandidate.exam_id.in_(ids))
                                  .group_by(ExamCandidate.exam_id)).all())
    attempts: dict[tuple[int, bool], int] = {}
    counted = (select(Attempt.exam_id, Attempt.status, func.count()).where(Attempt.exam_id.in_(ids))
               .group_by(Attempt.exam_id, Attempt.status))
    for exam_id, status, n in session.execute(counted):
        key = (exam_id, status is AttemptStatus.IN_PROGRESS)
        attempts[key] = attempts.get(key, 0) + n
    return [ExamDigest(e.public_id, e.title, e.status.value, e.opens_at, e.closes_at, e.results_released_at is not None,
                       roster.get(e.id, 0), attempts.get((e.id, False), 0), attempts.get((e.id, True), 0))
            for e in exams]


def module_rates(session: Session, event_id: int) -> dict[int, Decimal]:
    """The share of the points won, per module of the standard, over every submitted attempt of
    the event's exams (unanswered items count as 0): one statement."""
    rows = session.execute(
        select(QuestionVersion.module, func.sum(PaperItem.points), func.sum(func.coalesce(Answer.score, 0)))
        .select_from(PaperItem)
        .join(Attempt, Attempt.paper_id == PaperItem.paper_id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .join(QuestionVersion, QuestionVersion.id == PaperItem.question_version_id)
        .outerjoin(Answer, (Answer.item_id == PaperItem.id) & (Answer.attempt_id == Attempt.id))
        .where(Exam.event_id == event_id, Attempt.status != AttemptStatus.IN_PROGRESS)
        .group_by(QuestionVersion.module).order_by(QuestionVersion.module))
    return {module: (Decimal(won) / Decimal(points) * 100).quantize(Decimal("0.1"))
            for module, points, won in rows if points}
