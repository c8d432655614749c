"""Several scheduler processes against one PostgreSQL fire the same 100 triggers: each slot runs
once, and each overdue attempt is submitted exactly once."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditLog
from core.jobruns import JobRun
from exam import services
from exam.models import Attempt, AttemptStatus
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_three_processes_one_hundred_triggers(db, make_exam, create_user):
    users = [create_user("candidate") for _ in range(30)]
    exam = make_exam(users, duration=60, opens=-120, closes=600)
    for user in users:
        services.start_attempt(db.session, exam=exam, user=user, now=clock.now(), access_code="", device_token="d")
    for attempt in db.session.scalars(select(Attempt)):
        attempt.deadline = clock.now() - timedelta(minutes=5)  # abandoned: overdue
    db.session.commit()
    env = {**os.environ, "DATABASE_URL": PG_URL, "IIOM_CONFIG": "testing"}
    command = [sys.executable, "-m", "flask", "--app", "app", "scheduler", "run-job", "exam.close_overdue",
               "--slot", "1-100"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    db.session.expire_all()
    runs = db.session.execute(select(JobRun.slot, func.count()).where(JobRun.job_id == "exam.close_overdue")
                              .group_by(JobRun.slot)).all()
    assert len(runs) == 100 and all(n == 1 for _slot, n in runs)
    submits = db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "exam.submit"))
    assert submits == 30
    statuses = set(db.session.scalars(select(Attempt.status)))
    assert statuses == {AttemptStatus.AUTO_SUBMITTED}
    lines = b"".join(out for out, _err in outputs).decode().splitlines()
    assert sum("skipped" not in line for line in lines if line.startswith("exam.close_overdue[")) == 100
