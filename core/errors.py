"""Domain errors. Services raise them; views roll back and show the message in the user's language."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the operation. `message` is already translated (lazy)."""

    status_code = 400

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Throttled(DomainError):
    status_code = 429

    def __init__(self, message, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
