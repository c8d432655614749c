"""The inbox: each user's notifications in the app, with the bell's count."""

import re

from core import clock
from core.notify import Notification, inbox, notify


def _bell(page: str) -> int:
    match = re.search(r'data-testid="inbox-count">(\d+)<', page)
    return int(match.group(1)) if match else 0


def test_a_notification_reaches_the_users_inbox_and_the_bell_counts_it(client, db, login_as, create_user):
    user = login_as("centre_staff")
    other = create_user("centre_staff")
    assert _bell(client.get("/").get_data(as_text=True)) == 0
    notify(db.session, email="", user=user, subject="Form returned", body="Correct the employer by 5 May",
           link="/registration/")
    notify(db.session, email="", user=other, subject="Not yours", body="secret")
    db.session.commit()

    assert _bell(client.get("/").get_data(as_text=True)) == 1
    page = client.get("/inbox?lang=en").get_data(as_text=True)
    assert "Form returned" in page and "Correct the employer by 5 May" in page
    assert "Not yours" not in page


def test_opening_a_notification_marks_it_read_and_goes_to_the_work(client, db, login_as):
    user = login_as("centre_staff")
    note = notify(db.session, email="", user=user, subject="Seat", body="...", link="/registration/")
    db.session.commit()
    response = client.submit(f"/inbox/{note.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/registration/")
    assert db.session.get(Notification, note.id).read_at is not None
    assert _bell(client.get("/").get_data(as_text=True)) == 0


def test_a_link_off_the_platform_is_never_followed(client, db, login_as):
    user = login_as("centre_staff")
    note = notify(db.session, email="", user=user, subject="x", body="y", link="//evil.example/phish")
    db.session.commit()
    response = client.submit(f"/inbox/{note.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")


def test_someone_elses_notification_cannot_be_opened_or_marked(client, db, login_as, create_user):
    login_as("centre_staff")
    other = create_user("referee")
    note = notify(db.session, email="", user=other, subject="x", body="y", link="/")
    db.session.commit()
    assert client.submit(f"/inbox/{note.id}").status_code == 404
    assert client.submit("/inbox/read").status_code == 302
    assert db.session.get(Notification, note.id).read_at is None


def test_mark_all_read_and_unread_first(client, db, login_as):
    user = login_as("candidate")
    first = notify(db.session, email="", user=user, subject="first", body="a")
    db.session.commit()
    first.read_at = clock.now()
    notify(db.session, email="", user=user, subject="second", body="b")
    notify(db.session, email="", user=user, subject="third", body="c")
    db.session.commit()
    assert [n.subject for n in inbox(db.session, user.id)] == ["third", "second", "first"]
    client.submit("/inbox/read")
    assert all(n.read_at is not None for n in inbox(db.session, user.id))


def test_a_secret_is_not_shown_in_the_inbox(client, db, login_as):
    user = login_as("candidate")
    notify(db.session, email="", user=user, subject="Your exam account", body="Initial password: hunter2",
           sensitive=True)
    db.session.commit()
    page = client.get("/inbox").get_data(as_text=True)
    assert "Your exam account" in page and "hunter2" not in page
