"""A lease per scheduled run: before a job works, its process claims (job, slot) in the database.
The slot is the trigger's time divided by its interval, so however many scheduler processes or
hosts fire the same trigger, one claim succeeds and the others skip. Works on PostgreSQL and
SQLite (a unique constraint; the claim commits with the job's work, or not at all)."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.extensions import db


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(80), nullable=False)
    slot: Mapped[int] = mapped_column(nullable=False)
    runner: Mapped[str] = mapped_column(String(120), nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False)
    result: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    __table_args__ = (UniqueConstraint("job_id", "slot"),)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim(session: Session, *, job_id: str, slot: int, now: datetime) -> JobRun:
    """Claim the run; raises IntegrityError (at flush) when another process has it."""
    run = JobRun(job_id=job_id, slot=slot, runner=runner_name(), at=now)
    session.add(run)
    session.flush()
    return run


def last_run(session: Session) -> datetime | None:
    return session.scalar(select(func.max(JobRun.at)))
