from tests.conftest import PASSWORD


def test_change_password(client, login_as, login):
    user = login_as("candidate")
    response = client.submit("/account/password", {
        "current_password": PASSWORD, "new_password": "New-pass-2026", "confirm": "New-pass-2026"})
    assert response.status_code == 302
    client.submit("/logout")
    assert login(user.username).status_code == 401
    assert login(user.username, "New-pass-2026").status_code == 302


def test_wrong_current_password_and_weak_new_ones_are_explained(client, login_as):
    user = login_as("candidate")
    response = client.submit("/account/password", {
        "current_password": "wrong", "new_password": "New-pass-2026", "confirm": "New-pass-2026"})
    assert "当前密码不正确" in response.get_data(as_text=True)
    response = client.submit("/account/password", {
        "current_password": PASSWORD, "new_password": "1234", "confirm": "1234"})
    page = response.get_data(as_text=True)
    assert "8" in page and response.status_code == 200
    response = client.submit("/account/password", {
        "current_password": PASSWORD, "new_password": f"{user.username}-x1",
        "confirm": f"{user.username}-x1"})
    assert "用户名" in response.get_data(as_text=True)


def test_password_change_ends_other_sessions(app, client, login_as):
    user = login_as("referee")
    other = app.test_client()
    assert other.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    client.submit("/account/password", {
        "current_password": PASSWORD, "new_password": "New-pass-2026", "confirm": "New-pass-2026"})
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one is signed out


def test_admin_reset_forces_a_new_password(client, app, create_user, login_as):
    target = create_user("candidate")
    login_as("admin")
    response = client.submit(f"/admin/users/{target.public_id}/password", {"password": "Temp-pass-2026"})
    assert response.status_code == 302
    other = app.test_client()
    other.submit("/login", {"username": target.username, "password": "Temp-pass-2026"})
    response = other.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    other.submit("/account/password", {
        "current_password": "Temp-pass-2026", "new_password": "Own-pass-2026", "confirm": "Own-pass-2026"})
    assert other.get("/").status_code == 200
