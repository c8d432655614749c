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
