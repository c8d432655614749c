from sqlalchemy import func, select

from accounts.models import Role, TrainingCentre, User
from core.audit import AuditLog


def _counts(db):
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (User, TrainingCentre, AuditLog))


def test_demo_loader_runs_twice_and_changes_nothing_the_second_time(runner, db):
    first = runner.invoke(args=["core", "load-demo"])
    assert first.exit_code == 0, first.output
    assert "只" not in first.output  # CLI output is English
    assert "admin" in first.output and "shown only now" in first.output
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(Role)
    staff = db.session.scalar(select(User).where(User.role == Role.CENTRE_STAFF))
    assert staff.centre is not None
    counts = _counts(db)
    second = runner.invoke(args=["core", "load-demo"])
    assert second.exit_code == 0 and "already present" in second.output
    assert "shown only now" not in second.output
    assert _counts(db) == counts


def test_printed_passwords_work(runner, client):
    output = runner.invoke(args=["core", "load-demo"]).output
    line = next(line for line in output.splitlines() if line.split()[:2] == ["admin", "admin"])
    password = line.split()[2]
    response = client.submit("/login", {"username": "admin", "password": password})
    assert response.status_code == 302


def test_demo_data_is_refused_in_production(app, runner):
    app.config["DEMO_DATA_ALLOWED"] = False
    result = runner.invoke(args=["core", "load-demo"])
    assert result.exit_code != 0 and "refused" in result.output


def test_the_demo_certificate_verifies(runner, client):
    output = runner.invoke(args=["core", "load-demo"]).output
    url = next(line.split()[-1] for line in output.splitlines() if line.startswith("demo certificate"))
    page = client.get(url[url.index("/verify/"):]).get_data(as_text=True)
    assert "陈思远" in page and 'data-status="valid"' in page


def test_the_demo_has_results_in_publicity_with_objections(runner, client, db):
    """cand01 sees their result in publicity with a review asked for; the queue holds it."""
    from certificates.models import Objection, ObjectionStatus
    from registration.models import Event

    output = runner.invoke(args=["core", "load-demo"]).output
    password = next(line.split()[2] for line in output.splitlines() if line.split()[:2] == ["candidate", "cand01"])
    event = db.session.scalar(select(Event).filter_by(code="PUB26"))
    assert "/objection" in client.get(f"/results/{event.public_id}").get_data(as_text=True)
    statuses = sorted(o.status for o in db.session.scalars(select(Objection)))
    assert statuses == sorted([ObjectionStatus.RECEIVED, ObjectionStatus.ANSWERED])
    client.submit("/login", {"username": "cand01", "password": password})
    page = client.get("/my-results").get_data(as_text=True)
    assert "申请复核理论试卷" in page and "提出异议或申请复核" in page
