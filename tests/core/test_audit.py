import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from core import audit
from core.audit import AuditLog


def test_record_takes_actor_and_address_from_the_request(client, login_as, db, create_user):
    admin = login_as("admin")
    target = create_user("referee", full_name="原名")
    client.submit(f"/admin/users/{target.public_id}", {
        "full_name": "改名", "email": "", "role": "referee", "centre": "", "active": "y"})
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.update"))
    assert (entry.actor_name, entry.actor_role, entry.address) == (admin.username, "admin", "127.0.0.1")
    assert entry.object_type == "users" and entry.object_id == target.public_id
    assert entry.changes() == [("full_name", "原名", "改名")]


def test_saving_without_changes_writes_nothing(client, login_as, db, create_user):
    login_as("admin")
    target = create_user("referee", email="r@example.com")
    count = db.session.scalar(select(func.count()).select_from(AuditLog))
    client.submit(f"/admin/users/{target.public_id}", {
        "full_name": target.full_name, "email": "r@example.com", "role": "referee", "centre": "",
        "active": "y"})
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == count


def test_the_orm_refuses_to_change_or_delete_entries(app, db):
    entry = audit.record(db.session, "test.event", comment="original")
    db.session.commit()
    entry.comment = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_to_change_or_delete_entries(app, db):
    audit.record(db.session, "test.event", comment="original")
    db.session.commit()
    for statement in ("UPDATE audit_log SET comment = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(AuditLog.comment)) == "original"


def test_audit_page_searches_and_exports(client, login_as, create_user, db):
    login_as("admin")
    create_user("referee", full_name="王裁判")
    create_user("candidate", full_name="赵考生")
    page = client.get("/admin/audit?q=王裁判").get_data(as_text=True)
    assert "王裁判" in page and "赵考生" not in page
    page = client.get("/admin/audit?action=auth.").get_data(as_text=True)
    assert "已登录" in page and "账号已创建" not in page  # actions by name (issue 15), filtered by code
    page = client.get("/admin/audit?date_from=not-a-date").get_data(as_text=True)
    assert "无效" in page or "忽略" in page
    response = client.get("/admin/audit?format=xlsx&action=user.create")
    assert response.status_code == 200 and response.data[:2] == b"PK"
