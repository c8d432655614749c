"""Every form and every JSON POST needs the CSRF token; without it nothing changes."""

from sqlalchemy import func, select

from accounts.models import User
from tests.conftest import PASSWORD


def test_form_without_token_is_refused_with_a_message(client, create_user, db):
    user = create_user("candidate")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_wrong_token_is_refused_and_changes_nothing(client, login_as, db):
    login_as("admin")
    count = db.session.scalar(select(func.count()).select_from(User))
    response = client.post("/admin/users/new", data={
        "csrf_token": "forged-token", "username": "intruder", "full_name": "X", "role": "admin",
        "password": "Intruder-2026", "active": "y"})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == count


def test_logout_needs_the_token(client, login_as):
    login_as("referee")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_json_post_without_token_gets_a_json_error(client, login_as):
    login_as("admin")
    response = client.post("/language", json={"lang": "en"})
    assert response.status_code == 400
    assert response.is_json and "表单已过期" in response.get_json()["message"]


def test_json_post_with_the_header_token_passes(client, login_as):
    login_as("admin")
    token = client.csrf_token()
    response = client.post("/language", json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_token_from_another_session_is_refused(app, client, create_user):
    user = create_user("candidate")
    foreign = app.test_client().csrf_token()
    client.get("/login")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                           "csrf_token": foreign})
    assert response.status_code == 400
