import threading
from datetime import timedelta

from sqlalchemy import func, select

from accounts.models import LoginAttempt
from core.extensions import scheduler


def _scheduler_threads():
    return [t for t in threading.enumerate() if "APScheduler" in t.name or "apscheduler" in repr(t)]


def test_app_and_requests_start_no_scheduler(app, client):
    client.get("/login")
    assert _scheduler_threads() == []


def test_jobs_are_declared_and_buildable(app):
    assert "accounts.purge_login_attempts" in scheduler.jobs
    sched = scheduler.build(app)
    assert {j.id for j in sched.get_jobs()} == set(scheduler.jobs)
    assert not sched.running


def test_purge_job_is_idempotent(app, db, frozen_clock):
    now = frozen_clock.now
    db.session.add_all([
        LoginAttempt(username="a", address="1.1.1.1", succeeded=False, at=now - timedelta(days=2)),
        LoginAttempt(username="a", address="1.1.1.1", succeeded=False, at=now - timedelta(minutes=5)),
    ])
    db.session.commit()
    assert scheduler.run_job(app, "accounts.purge_login_attempts") == 1
    assert scheduler.run_job(app, "accounts.purge_login_attempts") == 0
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


def test_scheduler_cli_lists_and_runs_jobs(runner):
    assert "accounts.purge_login_attempts" in runner.invoke(args=["scheduler", "list"]).output
    result = runner.invoke(args=["scheduler", "run-job", "accounts.purge_login_attempts"])
    assert result.exit_code == 0 and "accounts.purge_login_attempts: 0" in result.output
    assert runner.invoke(args=["scheduler", "run-job", "nope"]).exit_code != 0


def test_a_slot_runs_once(app, runner, db):
    from core.jobruns import JobRun

    first = runner.invoke(args=["scheduler", "run-job", "accounts.purge_login_attempts", "--slot", "5-7"])
    again = runner.invoke(args=["scheduler", "run-job", "accounts.purge_login_attempts", "--slot", "6"])
    assert first.output.count(": 0") == 3 and "skipped" in again.output
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 3


def test_interval_jobs_tick_on_the_wall_clock_and_run_at_start(app):
    """Issue 13: each scheduler restart postponed the overdue sweep by its full interval (attempts
    closed 26-74 s after their cutoff across 5 restarts), and one restarting more often than every
    30 s never swept. Interval jobs now fire on multiples of their interval since the epoch (the
    slots' boundaries) and once when the scheduler starts."""
    from datetime import UTC, datetime

    from apscheduler.triggers.interval import IntervalTrigger

    before = datetime.now(UTC)
    sched = scheduler.build(app)
    jobs = {job.id: job for job in sched.get_jobs()}
    sweep = jobs["exam.close_overdue"]
    assert isinstance(sweep.trigger, IntervalTrigger)
    for job in jobs.values():
        assert job.next_run_time <= datetime.now(UTC)  # runs at start
        if isinstance(job.trigger, IntervalTrigger):
            interval = job.trigger.interval_length
            fire = job.trigger.get_next_fire_time(None, before)
            assert fire.timestamp() % interval == 0, job.id  # on the wall clock
            assert (fire - before).total_seconds() <= interval
