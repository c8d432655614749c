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


def _answering(body: bytes):
    """A server on loopback that answers every request with `body` as JSON; returns (url, stop)."""
    import threading

    from werkzeug.serving import make_server

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    server = make_server("127.0.0.1", 0, wsgi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server.shutdown


def test_base_url_is_checked_to_answer_as_this_platform(app):
    """Issue 15: `core health` warns when BASE_URL (printed in every QR code) does not answer as
    this platform: unreachable, or another version; it answers as this one when it is."""
    import json

    from core import health

    url, stop = _answering(json.dumps({"version": app.config["VERSION"]}).encode())
    try:
        app.config["BASE_URL"] = url
        assert health.base_url_ok()[0]
    finally:
        stop()
    url, stop = _answering(b'{"version": "something else"}')
    try:
        app.config["BASE_URL"] = url
        ok, detail = health.base_url_ok()
        assert not ok and "something else" in detail
    finally:
        stop()
    app.config["BASE_URL"] = "http://127.0.0.1:1"
    assert not health.base_url_ok()[0]


def test_the_admin_home_warns_when_base_url_is_not_where_it_was_opened(app, client, login_as):
    login_as("admin")
    assert 'data-testid="base-url-warning"' not in client.get("/").get_data(as_text=True)  # both localhost
    app.config["BASE_URL"] = "https://exam.example.cn"
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="base-url-warning"' in page and "exam.example.cn" in page
