from sqlalchemy import func, select

from accounts.models import LoginAttempt, User
from tests.conftest import PASSWORD


def test_sign_in_and_out(client, create_user, login):
    user = create_user("referee")
    response = login(user.username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "欢迎" in client.get("/").get_data(as_text=True)
    client.submit("/logout")
    assert client.get("/").status_code == 302


def test_username_is_case_insensitive(client, create_user, login):
    create_user("candidate", username="wangwu")
    assert login("WangWu").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, create_user, login, db):
    user = create_user("candidate")
    response = login(user.username, "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


def test_unknown_user_gets_the_same_message(client, login):
    response = login("nobody", "whatever-1")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_malformed_and_overlong_logins_are_refused_and_change_nothing(client, db):
    response = client.submit("/login", {"username": "", "password": ""})
    assert response.status_code == 400
    assert "此字段为必填项" in response.get_data(as_text=True) or "必填" in response.get_data(as_text=True)
    response = client.submit("/login", {"username": "x" * 500, "password": "p"})
    assert response.status_code == 400
    assert "40" in response.get_data(as_text=True)  # the length limit is named
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_disabled_account_cannot_sign_in(client, create_user, login, db):
    user = create_user("referee")
    user.active = False
    db.session.commit()
    response = login(user.username)
    assert response.status_code == 401
    assert "账号已停用" in response.get_data(as_text=True)


def test_account_throttle(client, create_user, login, frozen_clock):
    user = create_user("candidate")
    for _ in range(5):
        assert login(user.username, "bad-password").status_code == 401
    response = login(user.username)  # even the right password is refused while throttled
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in response.get_data(as_text=True)
    frozen_clock.advance(minutes=16)
    assert login(user.username).status_code == 302


def test_success_resets_the_account_counter(client, create_user, login, frozen_clock):
    user = create_user("candidate")
    for _ in range(4):
        login(user.username, "bad-password")
    assert login(user.username).status_code == 302
    client.submit("/logout")
    for _ in range(4):
        assert login(user.username, "bad-password").status_code == 401
    assert login(user.username).status_code == 302


def test_address_throttle_spans_accounts(app, client, login, frozen_clock):
    app.config["LOGIN_THROTTLE_PER_ADDRESS"] = 6
    for i in range(6):
        assert login(f"user{i}", "bad-password").status_code == 401
    response = login("someone-else", "bad-password")
    assert response.status_code == 429
    assert "此电脑登录失败" in response.get_data(as_text=True)


def test_next_parameter_only_goes_to_this_site(client, create_user):
    user = create_user("candidate")
    token = client.csrf_token()
    data = {"username": user.username, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"
    client.submit("/logout")
    data["csrf_token"] = client.csrf_token()
    response = client.post("/login?next=/account/password", data=data)
    assert response.headers["Location"] == "/account/password"


def test_anonymous_user_is_sent_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_successful_login_is_audited(client, create_user, login, db):
    from core.audit import AuditLog

    user = create_user("referee")
    login(user.username)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "auth.login"))
    assert entry.actor_id == user.id and entry.address == "127.0.0.1"
    assert db.session.get(User, user.id).last_login_at is not None
