"""Append-only tables cannot be flooded, and secrets do not stay in the outbox (issue 12, Info)."""

from datetime import timedelta

from sqlalchemy import func, select

from core import clock, notify
from core.extensions import scheduler
from exam.models import AnswerEvent, Attempt, IntegrityEvent
from tests.exam.test_views import config_of, save, start_page


def test_answer_events_per_attempt_are_bounded(app, client, login_as, make_exam, db, frozen_clock):
    """A signed-in candidate could append answer events without end (one per save with a higher seq)."""
    app.config["MAX_ANSWER_EVENTS"] = 30
    user = login_as("candidate")
    url = start_page(client, make_exam([user]))
    config = config_of(client.get(url).get_data(as_text=True))
    item = db.session.scalar(select(Attempt)).paper.items[0].id
    response = save(client, config["save_url"], [{"item": item, "response": None, "seq": s} for s in range(1, 31)])
    assert response.status_code == 200
    response = save(client, config["save_url"], [{"item": item, "response": None, "seq": 31}])
    assert response.status_code == 429 and "监考" in response.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(AnswerEvent)) == 30
    assert db.session.scalar(select(Attempt)).event_count == 30


def test_integrity_events_per_attempt_are_bounded(app, client, login_as, make_exam, db, frozen_clock):
    app.config["MAX_INTEGRITY_EVENTS"] = 10
    user = login_as("candidate")
    url = start_page(client, make_exam([user]))
    config = config_of(client.get(url).get_data(as_text=True))
    for _ in range(3):
        response = client.post(config["events_url"], json={"events": ["blur"] * 5},
                               headers={"X-CSRFToken": client.csrf_token()})
        assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(IntegrityEvent)) == 10
    assert db.session.scalar(select(Attempt)).focus_losses == 15  # still counted


def test_initial_passwords_are_wiped_from_the_outbox(app, db, monkeypatch, frozen_clock):
    """Info: the outbox kept initial passwords in plain text; a secret body is wiped once sent, or
    once it is too old to send."""
    sent = []

    class FakeSMTP:  # the wire protocol is smtplib's; what matters here is the row afterwards
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message):
            sent.append(message.get_content())

    monkeypatch.setattr(notify.smtplib, "SMTP", FakeSMTP)
    app.config["MAIL_SERVER"] = "mail.example"
    old = notify.notify(db.session, email="a@example.com", subject="账号", body="Initial password: x1", sensitive=True)
    old.created_at = clock.now() - timedelta(days=8)
    fresh = notify.notify(db.session, email="b@example.com", subject="账号", body="Initial password: y2",
                          sensitive=True)
    plain = notify.notify(db.session, email="c@example.com", subject="审核", body="Your form was approved.")
    db.session.commit()
    assert scheduler.run_job(app, "core.send_notifications") == 2
    assert scheduler.run_job(app, "core.wipe_sensitive_notifications") == 1
    db.session.expire_all()
    assert "Initial password: y2" in "".join(sent)
    assert fresh.body == old.body == notify.WIPED and plain.body == "Your form was approved."


def test_the_outbox_never_shows_an_initial_password(app, db, panel, frozen_clock):
    """Info: every administrator could read every enrolled candidate's initial password in the outbox."""
    from tests.conftest import PASSWORD

    notes = db.session.scalars(select(notify.Notification).where(notify.Notification.sensitive.is_(True))).all()
    assert notes, "enrolment sent no account message"
    admin = app.test_client()
    assert admin.submit("/login", {"username": panel["admin"].username, "password": PASSWORD}).status_code == 302
    page = admin.get("/registration/outbox").get_data(as_text=True)
    assert page.count("不予显示") >= len(notes)
    for note in notes:
        secret = note.body.split("\n")[1].split(":")[-1].split("：")[-1].strip()
        assert secret and secret not in page


def test_the_outbox_is_in_the_admin_menu_and_searchable(app, db, panel, frozen_clock):
    """Issue 15: the outbox is linked from the administrator's menu and finds a message by its
    recipient or subject; a search for what no message holds (LIKE wildcards included) finds none."""
    from tests.conftest import PASSWORD

    notes = db.session.scalars(select(notify.Notification)).all()
    assert len(notes) >= 2
    admin = app.test_client()
    assert admin.submit("/login", {"username": panel["admin"].username, "password": PASSWORD}).status_code == 302
    assert 'data-endpoint="registration.outbox"' in admin.get("/").get_data(as_text=True)
    target = notes[0]
    page = admin.get("/registration/outbox", query_string={"q": target.email}).get_data(as_text=True)
    assert target.subject in page
    others = [n for n in notes if n.email and n.email != target.email and n.subject not in page]
    assert all(n.email not in page for n in others)
    assert "暂无" in admin.get("/registration/outbox", query_string={"q": "%_%"}).get_data(as_text=True)
