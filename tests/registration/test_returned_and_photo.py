"""Issue 15: a photo survives a refused submit; a returned form names its fields by their labels in
the reader's language; the centre and the applicant are told in the app, with a link."""

import io
import re
from datetime import timedelta

from flask_babel import refresh
from sqlalchemy import select

from core import clock
from core.notify import inbox
from registration import services
from registration.models import Registration, State
from tests.conftest import PASSWORD
from tests.registration.conftest import form_data, photo_bytes


def sign_in(client, user):
    response = client.submit("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def posted(staff, **overrides):
    data = {k: v for k, v in form_data(**overrides).items() if v is not None}
    data["birth_date"] = data["birth_date"].isoformat()
    data["centre"] = staff.centre.public_id
    return data


def token_of(page: str) -> str:
    match = re.search(r'<input[^>]*name="photo_token"[^>]*>', page)
    assert match, "no photo_token field"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_a_photo_is_kept_across_a_refused_submit(client, db, event, staff, create_user, frozen_clock):
    sign_in(client, staff)
    url = f"/registration/events/{event.public_id}/apply?lang=en"
    data = posted(staff, phone="123")
    data.update(csrf_token=client.csrf_token(), photo=(io.BytesIO(photo_bytes()), "me.jpg"))
    response = client.post(url, data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enter a mobile number" in page
    token = token_of(page)
    assert token and 'data-testid="photo-kept"' in page
    preview = client.get(f"/registration/pending-photo/{token}")
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    assert db.session.scalar(select(Registration)) is None  # nothing saved yet
    data = posted(staff)
    data.update(csrf_token=client.csrf_token(), photo_token=token)
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = db.session.scalar(select(Registration))
    assert saved.photo and saved.photo.endswith(".jpg")
    assert client.get(f"/registration/pending-photo/{token}").status_code == 404  # used up


def test_a_kept_photo_is_the_users_own_and_a_bad_one_is_not_kept(client, db, event, staff, create_user,
                                                                 frozen_clock):
    sign_in(client, staff)
    url = f"/registration/events/{event.public_id}/apply?lang=en"
    data = posted(staff, phone="123")
    data.update(csrf_token=client.csrf_token(), photo=(io.BytesIO(b"not an image at all"), "me.jpg"))
    page = client.post(url, data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert token_of(page) == "" and "not a JPEG or PNG" in page
    data = posted(staff, phone="123")
    data.update(csrf_token=client.csrf_token(), photo=(io.BytesIO(photo_bytes()), "me.jpg"))
    token = token_of(client.post(url, data=data, content_type="multipart/form-data").get_data(as_text=True))
    assert token
    client.submit("/logout")
    sign_in(client, create_user("centre_staff"))
    assert client.get(f"/registration/pending-photo/{token}").status_code == 404
    assert client.get("/registration/pending-photo/..%2f..%2fetc").status_code == 404


def returned(db, draft, staff, create_user):
    admin = create_user("admin")
    registration = draft()
    for action in ("submit", "centre_approve"):
        services.act(db.session, registration=registration, action=action, user=staff, now=clock.now())
    services.act(db.session, registration=registration, action="return", user=admin, now=clock.now(),
                 corrections=[("employer", "单位全称"), ("photo", "请换蓝底照片")],
                 deadline=clock.now() + timedelta(days=3))
    db.session.commit()
    return registration, admin


def corrections_block(page: str) -> str:
    match = re.search(r'data-testid="corrections">(.*?)</div>', page, re.S)
    assert match, "no corrections block"
    return match.group(1)


def test_a_returned_form_shows_labels_not_field_keys(app, client, db, draft, staff, create_user, frozen_clock):
    registration, _admin = returned(db, draft, staff, create_user)
    sign_in(client, staff)
    for lang in ("en", None):
        query = "?lang=en" if lang else ""
        with app.test_request_context(f"/{query}"):
            refresh()
            employer, photo = str(services.FIELD_LABELS["employer"]), str(services.FIELD_LABELS["photo"])
        if lang is None:
            assert employer != "Employer"  # the default language is Chinese
        for url in (f"/registration/{registration.public_id}", f"/registration/{registration.public_id}/edit"):
            block = corrections_block(client.get(url + query).get_data(as_text=True))
            assert "employer" not in block and "photo" not in block, (url, lang, block)
            assert f"<strong>{employer}</strong>: 单位全称" in block and f"<strong>{photo}</strong>" in block


def test_the_centre_and_the_applicant_are_told_with_a_link(db, draft, staff, create_user, frozen_clock):
    colleague = create_user("centre_staff", centre=staff.centre)
    candidate = create_user("candidate", email="xiaoming@example.com")
    registration = draft()
    registration.applicant_id = candidate.id
    db.session.commit()
    registration, admin = returned(db, lambda: registration, staff, create_user)
    link = f"/registration/{registration.public_id}"
    for user in (staff, colleague, candidate):
        notes = inbox(db.session, user.id)
        note = next(n for n in notes if "单位全称" in n.body)
        assert note.link == link and "请换蓝底照片" in note.body
        assert (clock.now() + timedelta(days=3)).strftime("%Y-%m-%d") in note.body  # the deadline
    # the colleague hears of the centre's own approval; the one who approved does not
    approved = str(State.CENTRE_APPROVED.label)
    assert [n.link for n in inbox(db.session, colleague.id) if approved in n.subject] == [link]
    assert [n for n in inbox(db.session, staff.id) if "单位全称" not in n.body] == []
    for action, user in (("resubmit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
        services.act(db.session, registration=registration, action=action, user=user, now=clock.now())
    db.session.commit()
    assert registration.state is State.ENROLLED
    latest = inbox(db.session, staff.id)[0]
    assert latest.link == link and registration.candidate_number in latest.body


def test_a_form_withdrawn_by_the_job_is_told_to_the_centre_with_a_link(app, db, draft, staff, create_user,
                                                                       frozen_clock):
    from core.extensions import scheduler

    registration, _admin = returned(db, draft, staff, create_user)
    frozen_clock.advance(days=4)
    assert scheduler.run_job(app, "registration.expire_returned") == 1
    note = inbox(db.session, staff.id)[0]
    assert note.link == f"/registration/{registration.public_id}" and "期限" in note.body
