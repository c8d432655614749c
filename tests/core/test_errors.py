"""Error pages in both languages, JSON errors for JSON clients."""

import pytest


@pytest.mark.parametrize("lang,text", [("zh_Hans_CN", "页面不存在"), ("en", "Page not found")])
def test_404_in_both_languages(client, lang, text):
    client.submit("/language", {"lang": lang})
    response = client.get("/no/such/page")
    assert response.status_code == 404 and text in response.get_data(as_text=True)


def test_403_page(client, login_as):
    login_as("candidate")
    client.submit("/language", {"lang": "en"})
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


def test_405_page(client):
    response = client.put("/login")
    assert response.status_code == 405 and "不接受" in response.get_data(as_text=True)


def test_json_clients_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["error"] == 404


def test_500_page_hides_the_error(app, client, login_as):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("internal detail")

    # A view that fails, registered on the running app like any other route.
    from core.access import public
    app.add_url_rule("/boom-test", "boom_test", public(boom))
    response = client.get("/boom-test")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "服务器" in page and "internal detail" not in page


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_database_outage_is_503_and_says_so(app, client, accept):
    from sqlalchemy.exc import OperationalError

    from core.access import public

    def down():
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    app.add_url_rule("/db-down-test", "db_down_test", public(down))
    response = client.get("/db-down-test", headers={"Accept": accept})
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    text = response.get_json()["message"] if accept == "application/json" else response.get_data(as_text=True)
    assert "数据库暂时不可用" in text and "connection refused" not in text


def test_oversized_upload_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/login", data={"username": "x" * 5000})
    assert response.status_code == 413 and "文件过大" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
