"""What registration announces to the packages above it, so that it never imports them.

`enrolled` is sent inside the enrolment's transaction, after the candidate has a number, an
account and a seat: `enrolled.send(session, registration=registration)`. Receivers run in the
same transaction (the exam package puts the candidate on the event's exams)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

enrolled = _signals.signal("registration.enrolled")
