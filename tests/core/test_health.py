from app import create_app


def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok" and response.get_json()["status"] == "ok"


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"


def test_health_command(runner):
    result = runner.invoke(args=["core", "health"])
    assert "database     ok" in result.output
    assert "scheduler    FAIL" in result.output and result.exit_code == 1  # no scheduled run yet
    runner.invoke(args=["scheduler", "run-job", "accounts.purge_login_attempts", "--slot", "1"])
    result = runner.invoke(args=["core", "health"])
    assert "scheduler    ok" in result.output
    assert result.exit_code == 0, result.output
