"""The one gate of an attempt: every candidate request about an attempt (the page, a save, the
clock, integrity events, a challenge, the submission, the receipt, the result) comes through `enter`, which
loads the attempt once, works out its state for this device now (rules.attempt_state: the only
place where "deadline + grace" is decided), closes it when its time is over, and says whether the
action is allowed in that state and from this client (the exam's allowed networks and Safe Exam
Browser). Views ask the gate and never repeat a deadline, device or client rule.

    passage = gate.enter(db.session, public_id=..., user=current_user, device_token=..., action="save",
                         now=..., address=..., url=..., seb_hash=...)
    if passage.refusal: ...   # the reason, in the candidate's words; nothing was written but a close

A close made by the gate is flushed, not committed: the view commits once, refusal or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from accounts.models import User
from core.errors import DomainError, NotAllowed, NotFound
from exam import services
from exam.models import Attempt
from exam.rules import AttemptState

_ANSWERING = frozenset({AttemptState.OPEN, AttemptState.GRACE})

# What each action may do in each state. The clock answers in every state: it is how a page
# learns that its attempt closed or moved to another device.
ALLOWS: dict[str, frozenset[AttemptState]] = {
    # The pause, the takeover's waiting page, or the waiting room before the hall's start.
    "page": _ANSWERING | {AttemptState.PAUSED, AttemptState.WAITING, AttemptState.READY},
    "takeover": frozenset({AttemptState.WAITING}),
    "save": _ANSWERING,
    "clock": frozenset(AttemptState),
    "events": _ANSWERING,
    "challenge": _ANSWERING,
    "submit": _ANSWERING,
    "receipt": frozenset({AttemptState.CLOSED}),
    "result": frozenset({AttemptState.CLOSED}),
}


@dataclass(frozen=True)
class Passage:
    attempt: Attempt
    state: AttemptState
    action: str
    now: datetime
    refusal: DomainError | None  # None: the action may go ahead

    @property
    def closed(self) -> bool:
        return self.state is AttemptState.CLOSED

    @property
    def taken_over(self) -> bool:
        return self.state is AttemptState.TAKEN_OVER

    @property
    def waiting(self) -> bool:
        return self.state is AttemptState.WAITING

    @property
    def paused(self) -> bool:
        return self.state is AttemptState.PAUSED

    @property
    def ready(self) -> bool:
        return self.state is AttemptState.READY


# Where the exam's integrity settings apply (services.client_refusal: allowed networks, Safe Exam
# Browser): everything that answers. A receipt or a result may be read from anywhere.
CLIENT_CHECKED = frozenset({"page", "save", "events", "challenge", "submit", "takeover"})


# The attempt with its exam and hall: one statement for every candidate request, built once.
_ATTEMPT = (select(Attempt).where(Attempt.public_id == bindparam("public_id"))
            .options(joinedload(Attempt.exam), joinedload(Attempt.hall)))


def enter(session: Session, *, public_id: str, user: User, device_token: str, action: str, now: datetime,
          address: str = "", url: str = "", seb_hash: str | None = None) -> Passage:
    """Load the candidate's attempt, close it if its time is over, and decide `action` for this
    client (`address`, the request's `url` and its Safe Exam Browser header). Raises NotFound for
    an unknown attempt and NotAllowed for someone else's."""
    attempt = session.scalar(_ATTEMPT, {"public_id": public_id})
    if attempt is None:
        raise NotFound(_l("This exam attempt does not exist."))
    if attempt.user_id != user.id:
        raise NotAllowed(_l("This exam attempt is not yours."))
    state = services.attempt_state(attempt, now, device_token)
    if state is AttemptState.OVERDUE:
        services.submit(session, attempt=attempt, now=now, by="timer")
        state = AttemptState.CLOSED
    refused = None if state in ALLOWS[action] else services.refusal(attempt, state)
    if refused is None and action in CLIENT_CHECKED:
        refused = services.client_refusal(attempt.exam, attempt.hall, address=address, url=url, seb_hash=seb_hash)
    return Passage(attempt, state, action, now, refused)
