"""Scheduled jobs.

Packages declare jobs with `@scheduler.job(...)`; nothing runs them in web workers, tests or other
CLI commands. `flask scheduler run` starts one APScheduler process with an in-memory job store
(APScheduler's stores must not be shared between processes). Every job is a function
`job(session, *, now)` that is idempotent and does not commit: the runner commits once per run, so
a job can also be run by hand (`flask scheduler run-job ID`) or from a test. The exception is a
sweep over a backlog driven by the rows' own state (grading what was submitted): it commits chunk
by chunk, so that on SQLite it holds the write lock for a chunk, not for the whole run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

log = logging.getLogger(__name__)
SKIPPED = "skipped: another process ran this slot"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable
    trigger: str
    trigger_args: dict
    description: str


class JobRegistry:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def init_app(self, app: Flask) -> None:
        app.extensions["scheduler"] = self
        app.cli.add_command(scheduler_cli)

    def job(self, id: str, trigger: str = "interval", **trigger_args) -> Callable:
        """Declare `func(session, *, now)` as a scheduled job."""

        def decorator(func: Callable) -> Callable:
            if id in self._jobs and self._jobs[id].func is not func:
                raise ValueError(f"job {id!r} declared twice")
            doc = (func.__doc__ or "").strip().splitlines()
            self._jobs[id] = Job(id, func, trigger, trigger_args, doc[0] if doc else "")
            return func

        return decorator

    @property
    def jobs(self) -> dict[str, Job]:
        return dict(self._jobs)

    def run_job(self, app: Flask, job_id: str, *, slot: int | None = None):
        """Run one job in an app context and commit its work once; returns what the job returned.

        With a `slot`, the run is first claimed in the database (core.jobruns): when another
        process already ran that slot, nothing happens and SKIPPED is returned. The claim and the
        work commit together, so a failed run leaves the slot free for a retry."""
        from sqlalchemy.exc import IntegrityError

        from core import clock, jobruns
        from core.extensions import db

        job = self._jobs[job_id]
        with app.app_context():
            try:
                now = clock.now()
                run = None
                if slot is not None:
                    try:
                        run = jobruns.claim(db.session, job_id=job_id, slot=slot, now=now)
                    except IntegrityError:
                        db.session.rollback()
                        return SKIPPED
                result = job.func(db.session, now=now)
                if run is not None:
                    run.result = str(result)[:200]
                db.session.commit()
            except IntegrityError:
                db.session.rollback()  # the claim lost a race at commit time (SQLite)
                return SKIPPED
            except Exception:
                db.session.rollback()
                log.exception("scheduled job %s failed", job_id)
                raise
            finally:
                db.session.remove()
        return result

    def slot(self, job_id: str, at) -> int:
        """The trigger's slot: its time divided by the job's interval."""
        args = self._jobs[job_id].trigger_args
        seconds = (args.get("seconds", 0) + 60 * args.get("minutes", 0) + 3600 * args.get("hours", 0)
                   + 86400 * args.get("days", 0)) or 60
        return int(at.timestamp() // seconds)

    def build(self, app: Flask):
        """A blocking APScheduler with every declared job; only `flask scheduler run` calls this."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        sched = BlockingScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        started = datetime.now(UTC)
        for job in self._jobs.values():
            args = dict(job.trigger_args)
            if job.trigger == "interval":
                # Ticks on the wall clock (multiples of the interval since the epoch, the same
                # boundaries as `slot`), not counted from this process's start: a restart does not
                # postpone a job by its interval, and a scheduler restarted more often than the
                # interval still runs it.
                args.setdefault("start_date", EPOCH)
            sched.add_job(
                self._safe_runner(app, job.id),
                trigger=job.trigger,
                id=job.id,
                name=job.description or job.id,
                next_run_time=started,  # and once at start (the slot's lease keeps it to once a slot)
                **args,
            )
        return sched

    def _safe_runner(self, app: Flask, job_id: str) -> Callable:
        def run() -> None:
            from core import clock

            try:
                result = self.run_job(app, job_id, slot=self.slot(job_id, clock.now()))
                log.info("job %s: %s", job_id, result)
            except Exception:  # logged in run_job; the scheduler must keep going
                pass

        return run


scheduler_cli = AppGroup("scheduler", help="Scheduled jobs (run in their own process).")


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the scheduler in the foreground until interrupted."""
    from flask import current_app

    registry: JobRegistry = current_app.extensions["scheduler"]
    sched = registry.build(current_app._get_current_object())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo(f"scheduler: {len(registry.jobs)} job(s): {', '.join(registry.jobs) or '-'}")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped")


@scheduler_cli.command("list")
def list_jobs() -> None:
    """List the declared jobs and their triggers."""
    from flask import current_app

    for job in current_app.extensions["scheduler"].jobs.values():
        args = ", ".join(f"{k}={v}" for k, v in job.trigger_args.items())
        click.echo(f"{job.id}\t{job.trigger}({args})\t{job.description}")


@scheduler_cli.command("run-job")
@click.argument("job_id")
@click.option("--slot", "slots", default="", help="Claim these slots (e.g. 7 or 1-100) as a scheduler would.")
def run_one(job_id: str, slots: str) -> None:
    """Run one job now (once, or once per slot claimed)."""
    from flask import current_app

    registry: JobRegistry = current_app.extensions["scheduler"]
    if job_id not in registry.jobs:
        raise click.BadParameter(f"unknown job {job_id!r}; see `flask scheduler list`")
    app = current_app._get_current_object()
    if not slots:
        click.echo(f"{job_id}: {registry.run_job(app, job_id)}")
        return
    first, _, last = slots.partition("-")
    for slot in range(int(first), int(last or first) + 1):
        click.echo(f"{job_id}[{slot}]: {registry.run_job(app, job_id, slot=slot)}")
