"""Exam halls (考场) and their invigilators (监考员): halls made from the event's sessions and sites,
candidates seated by their admission ticket, invigilators assigned to halls, the hall's seat map,
and the hall's clock: a pause stops it for everyone in the hall, and the resume moves every open
deadline there by the paused span. Services flush and audit; they never commit."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from accounts import services as accounts
from accounts.models import Role, User
from core import audit
from core.errors import DomainError, NotFound
from exam import rules, seal, services
from exam.models import Attempt, AttemptStatus, Exam, ExamCandidate, ExamHall
from registration import services as enrolments
from registration.models import EventSession, Registration, State

OFFLINE_AFTER = timedelta(seconds=60)  # a seat not heard from for this long shows as offline


def hall_for(session: Session, *, public_id: str, user: User) -> ExamHall:
    """The hall, if `user` may see it: its invigilators, and administrators. Anyone else gets
    NotFound, so that a hall's existence is not confirmed to the invigilator of another."""
    hall = session.scalar(select(ExamHall).filter_by(public_id=public_id).options(joinedload(ExamHall.exam)))
    if hall is None or not (user.role is Role.ADMIN or user in hall.invigilators):
        raise NotFound(_l("There is no such hall among yours."))
    return hall


def halls_of(session: Session, user: User) -> list[ExamHall]:
    """The halls an invigilator watches (every hall, for an administrator), newest exams first."""
    query = select(ExamHall).join(Exam).options(joinedload(ExamHall.exam)).order_by(Exam.opens_at.desc(),
                                                                                   ExamHall.name)
    if user.role is not Role.ADMIN:
        query = query.where(ExamHall.invigilators.any(User.id == user.id))
    return list(session.scalars(query).unique())


def add_hall(session: Session, *, exam: Exam, name: str, room: str, seats: int, actor: User) -> ExamHall:
    if not name.strip():
        raise DomainError(_l("Give the hall a name."), field="name")
    hall = ExamHall(exam=exam, name=name.strip()[:80], room=room.strip()[:120], seats=seats)
    session.add(hall)
    session.flush()
    audit.record(session, "exam.hall_add", target=exam, actor=actor, after={"hall": str(hall)})
    return hall


def halls_from_event(session: Session, *, exam: Exam, actor: User) -> int:
    """Make a hall of each of the event's sessions (its site is the room; its start, when it lies in
    the exam's window, is the hall's synchronized start) and admit the event's enrolled candidates,
    each in the hall of their session at their ticket's seat. Running it again adds what is new and
    moves nobody twice. Returns the candidates seated."""
    if exam.event_id is None:
        raise DomainError(_l("This exam belongs to no event: add its halls by hand."))
    halls = {h.session_id: h for h in exam.halls if h.session_id is not None}
    for event_session in session.scalars(select(EventSession).where(EventSession.event_id == exam.event_id)):
        if event_session.id not in halls:
            hall = ExamHall(exam=exam, session_id=event_session.id, name=event_session.name[:80],
                            room=event_session.site[:120], seats=event_session.seats)
            if exam.opens_at <= event_session.starts_at < exam.closes_at:  # the session's start, together
                hall.starts_at, hall.paper_key = event_session.starts_at, seal.new_key()
            session.add(hall)
            halls[event_session.id] = hall
    session.flush()
    roster = {e.user_id: e for e in exam.roster}
    seated = 0
    enrolled = session.scalars(select(Registration).where(
        Registration.event_id == exam.event_id, Registration.state == State.ENROLLED,
        Registration.user_id.is_not(None)))
    for registration in enrolled:
        entry = roster.get(registration.user_id)
        if entry is None:
            entry = ExamCandidate(user_id=registration.user_id)
            exam.roster.append(entry)
            roster[registration.user_id] = entry
        hall = halls.get(registration.session_id)
        if hall is not None and (entry.hall_id, entry.seat) != (hall.id, registration.seat):
            entry.hall, entry.seat = hall, registration.seat
            seated += 1
    session.flush()
    audit.record(session, "exam.halls_from_event", target=exam, actor=actor,
                 after={"halls": len(halls), "seated": seated})
    return seated


def assign_invigilator(session: Session, *, hall: ExamHall, user: User, actor: User) -> None:
    if user.role is not Role.INVIGILATOR:
        raise DomainError(_l("%(name)s is not an invigilator.", name=user.username), field="username")
    if user not in hall.invigilators:
        hall.invigilators.append(user)
        session.flush()
        audit.record(session, "exam.hall_invigilator", target=hall.exam, actor=actor,
                     after={"hall": str(hall), "invigilator": user.username})


def seat(session: Session, *, hall: ExamHall, usernames: list[str], actor: User) -> int:
    """Seat roster members in `hall`, in the order given, from its first free seat."""
    entries = {e.user.username: e for e in hall.exam.roster}
    unknown = [n for n in usernames if n not in entries]
    if unknown:
        raise DomainError(_l("Not on this exam's roster: %(names)s.", names=", ".join(unknown[:10])),
                          field="usernames")
    taken = {e.seat for e in hall.exam.roster if e.hall_id == hall.id and e.seat}
    free = (n for n in range(1, 10_000) if n not in taken)
    for name in usernames:
        entry = entries[name]
        if entry.hall_id != hall.id:
            entry.hall, entry.seat = hall, next(free)
    session.flush()
    audit.record(session, "exam.hall_seat", target=hall.exam, actor=actor,
                 after={"hall": str(hall), "seated": len(usernames)})
    return len(usernames)


def unlock_sign_in(session: Session, *, hall: ExamHall, username: str, actor: User) -> User:
    """The invigilator clears the sign-in throttle of a candidate seated in their hall (typos
    behind the hall's one address, or someone outside holding the account back)."""
    entry = session.scalar(select(ExamCandidate).join(User, User.id == ExamCandidate.user_id)
                           .where(ExamCandidate.hall_id == hall.id, User.username == username))
    if entry is None:
        raise NotFound(_l("Nobody of that name sits in this hall."))
    accounts.unlock_sign_in(session, user=entry.user, actor=actor)
    return entry.user


def attempt_in(session: Session, *, hall: ExamHall, public_id: str) -> Attempt:
    """An attempt of a candidate in `hall` (NotFound for any other: an invigilator acts on their hall only)."""
    attempt = session.scalar(select(Attempt).filter_by(public_id=public_id, hall_id=hall.id))
    if attempt is None:
        raise NotFound(_l("There is no such exam in this hall."))
    return attempt


def log_incident(session: Session, *, hall: ExamHall, seat: int | None, text: str, actor: User, now: datetime) -> None:
    """An incident in the hall (time, seat, what happened): it lands in the audit log, and on the
    hall's page and report."""
    if not text.strip():
        raise DomainError(_l("Say what happened."), field="text")
    audit.record(session, "exam.hall_incident", target=hall.exam, actor=actor, comment=text.strip()[:1000],
                 after={"hall": hall.public_id, "seat": seat})


def incidents(session: Session, *, hall: ExamHall) -> list[audit.AuditLog]:
    """The hall's incidents, pauses and resumes, oldest first."""
    rows = session.scalars(select(audit.AuditLog).where(
        audit.AuditLog.object_type == "exams", audit.AuditLog.object_id == hall.exam.public_id,
        audit.AuditLog.action.in_(["exam.hall_incident", "exam.hall_pause", "exam.hall_resume"]))
        .order_by(audit.AuditLog.id)).all()
    return [r for r in rows if (r.after or {}).get("hall") == hall.public_id]


def pause(session: Session, *, hall: ExamHall, reason: str, actor: User, now: datetime) -> None:
    """Stop the hall's clock: its candidates' pages say so and take no answers until the resume."""
    if not reason.strip():
        raise DomainError(_l("Give a reason."), field="reason")
    if hall.paused_at is not None:
        raise DomainError(_l("The hall is paused already."))
    if hall.starts_at is not None and now < hall.starts_at:
        raise DomainError(_l("The hall has not started yet: move its start instead."))
    hall.paused_at = now
    session.flush()
    audit.record(session, "exam.hall_pause", target=hall.exam, actor=actor, comment=reason,
                 after={"hall": hall.public_id, "name": str(hall)})


def resume(session: Session, *, hall: ExamHall, actor: User, now: datetime) -> int:
    """Start the hall's clock again: every open deadline in the hall moves by the paused span.
    Returns how many attempts it moved."""
    if hall.paused_at is None:
        raise DomainError(_l("The hall is not paused."))
    span = timedelta(seconds=math.ceil((now - hall.paused_at).total_seconds()))
    moved = 0
    for attempt in session.scalars(select(Attempt).where(Attempt.hall_id == hall.id,
                                                         Attempt.status == AttemptStatus.IN_PROGRESS)):
        attempt.deadline = attempt.deadline + span
        moved += 1
    hall.paused_seconds += int(span.total_seconds())
    hall.paused_at = None
    session.flush()
    audit.record(session, "exam.hall_resume", target=hall.exam, actor=actor,
                 after={"hall": hall.public_id, "name": str(hall), "paused_seconds": int(span.total_seconds()),
                        "attempts": moved})
    return moved


def set_start(session: Session, *, hall: ExamHall, starts_at: datetime | None, actor: User, now: datetime) -> int:
    """Give the hall a synchronized start (None: each candidate starts when they press Start). The
    waiting room opens EXAM_WAITING_ROOM_MINUTES before; attempts already waiting move with the
    start. Refused once the hall has started. Returns the attempts moved."""
    exam = hall.exam
    if hall.starts_at is not None and now >= hall.starts_at:
        raise DomainError(_l("The hall has started: its start can no longer be moved."))
    if starts_at is not None:
        if starts_at <= now:
            raise DomainError(_l("The start must be in the future."), field="starts_at")
        if not exam.opens_at <= starts_at < exam.closes_at:
            raise DomainError(_l("The start must lie within the exam's window."), field="starts_at")
    if not hall.paper_key:
        hall.paper_key = seal.new_key()
    hall.starts_at = starts_at
    moved = 0
    waiting = session.scalars(select(Attempt).where(Attempt.hall_id == hall.id,
                                                    Attempt.status == AttemptStatus.IN_PROGRESS)
                              .options(joinedload(Attempt.exam))).all()
    entries = {e.user_id: e for e in session.scalars(select(ExamCandidate).where(ExamCandidate.hall_id == hall.id))}
    for attempt in waiting:
        entry = entries.get(attempt.user_id)
        if entry is None:
            continue
        attempt.started_at = starts_at if starts_at is not None else now
        attempt.deadline = services.compute_deadline(exam, entry, attempt.started_at)
        moved += 1
    session.flush()
    _KEYS.pop(hall.public_id, None)
    audit.record(session, "exam.hall_start", target=exam, actor=actor,
                 after={"hall": hall.public_id, "name": str(hall), "starts_at": starts_at, "attempts": moved})
    return moved


def set_integrity(session: Session, *, hall: ExamHall, networks: str | None, config_keys: str | None,
                  actor: User) -> None:
    """The hall's own allowed networks and Safe Exam Browser keys (None: the exam's)."""
    bad = rules.bad_networks(networks or "") + rules.bad_config_keys(config_keys or "")
    if bad:
        raise DomainError(_l("Not a network or a Config Key: %(entries)s.", entries=", ".join(b[:20] for b in bad[:3])))
    before = {"networks": hall.allowed_networks, "seb": bool(hall.seb_config_keys)}
    hall.allowed_networks, hall.seb_config_keys = networks, config_keys
    session.flush()
    audit.record(session, "exam.hall_integrity", target=hall.exam, actor=actor, before=before,
                 after={"hall": hall.public_id, "networks": networks, "seb": bool(config_keys)})


# --- the start key: one tiny answer per candidate at the start, no session, no write -----------

KEY_CACHE_SECONDS = 1.0
_KEYS: dict[str, tuple[float, datetime | None, str]] = {}
_KEYS_LOCK = threading.Lock()


def cached_start_key(public_id: str) -> tuple[datetime | None, str] | None:
    """The hall's start and key if read within the last second by this process, else None."""
    hit = _KEYS.get(public_id)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1], hit[2]
    return None


def start_key(session: Session, *, public_id: str) -> tuple[datetime | None, str] | None:
    """The hall's start and paper key, read at most once a second per hall and process (None: no
    such hall). The caller hands the key out only from the start (exam/startkey.py)."""
    hit = cached_start_key(public_id)
    if hit is not None:
        return hit
    row = session.execute(select(ExamHall.starts_at, ExamHall.paper_key).where(ExamHall.public_id == public_id)).first()
    if row is None:
        return None
    with _KEYS_LOCK:
        _KEYS[public_id] = (time.monotonic() + KEY_CACHE_SECONDS, row.starts_at, row.paper_key)
    return row.starts_at, row.paper_key


class SeatState:
    ABSENT = "absent"
    WAITING = "waiting"  # in the waiting room before the hall's start
    ANSWERING = "answering"
    OFFLINE = "offline"
    PAUSED = "paused"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class Seat:
    seat: int | None
    name: str
    username: str
    state: str
    answered: int
    remaining: int | None
    focus_losses: int
    attempt: str | None
    takeover_from: str = ""  # another computer's address, while it waits to take the exam over
    takeover_code: str | None = None  # what the invigilator reads out to let it
    sign_in_held: bool = False  # failed sign-ins slow this candidate down: the invigilator may unlock
    candidate_number: str = ""
    photo: bool = False  # the enrolment has a photo (served by the hall's photo route)
    focus_alert: bool = False  # focus losses reached the exam's alert count
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    submitted_by: str = ""


def seat_map(session: Session, *, hall: ExamHall, now: datetime) -> list[Seat]:
    """Every seat of the hall, in seat order: who sits there and how their exam stands. Two queries
    whatever the hall's size."""
    entries = session.scalars(select(ExamCandidate).where(ExamCandidate.hall_id == hall.id)
                              .options(joinedload(ExamCandidate.user))).all()
    attempts = {a.user_id: a for a in session.scalars(
        select(Attempt).where(Attempt.exam_id == hall.exam_id, Attempt.user_id.in_([e.user_id for e in entries])))}
    held = accounts.throttled_usernames(session, usernames=[e.user.username for e in entries], now=now)
    cards = enrolments.seat_cards(session, event_id=hall.exam.event_id, user_ids=[e.user_id for e in entries])
    alert_at = hall.exam.focus_alert_at
    seats = []
    for entry in sorted(entries, key=lambda e: (e.seat is None, e.seat or 0, e.user.username)):
        attempt = attempts.get(entry.user_id)
        remaining = None
        if attempt is None:
            state = SeatState.ABSENT
        elif not attempt.open:
            state = SeatState.SUBMITTED
        else:
            remaining = services.remaining_seconds(attempt, now)
            if now < attempt.started_at:
                state = SeatState.WAITING
            elif hall.paused_at is not None:
                state = SeatState.PAUSED
            elif attempt.last_seen_at and now - attempt.last_seen_at > OFFLINE_AFTER:
                state = SeatState.OFFLINE
            else:
                state = SeatState.ANSWERING
        waiting = attempt is not None and attempt.open and attempt.pending_device_token is not None
        seats.append(Seat(entry.seat, entry.user.full_name, entry.user.username, state,
                          attempt.answered_count if attempt else 0, remaining,
                          attempt.focus_losses if attempt else 0, attempt.public_id if attempt else None,
                          (attempt.pending_address or "?") if waiting else "",
                          services.takeover_code(attempt) if waiting else None, entry.user.username in held,
                          card.candidate_number if (card := cards.get(entry.user_id)) else "",
                          bool(card and card.photo),
                          bool(attempt and alert_at and attempt.focus_losses >= alert_at),
                          attempt.started_at if attempt else None, attempt.submitted_at if attempt else None,
                          attempt.submitted_by if attempt else ""))
    return seats


def photo_of(session: Session, *, hall: ExamHall, username: str) -> str | None:
    """The file name of the enrolment photo of a candidate seated in `hall` (NotFound otherwise)."""
    entry = session.scalar(select(ExamCandidate).join(User, User.id == ExamCandidate.user_id)
                           .where(ExamCandidate.hall_id == hall.id, User.username == username))
    if entry is None:
        raise NotFound(_l("Nobody of that name sits in this hall."))
    card = enrolments.seat_cards(session, event_id=hall.exam.event_id, user_ids=[entry.user_id]).get(entry.user_id)
    return card.photo if card else None
