"""Bulk work in the registrations list (issue 15): one action on the ticked forms or on every form
the filter finds, each through its own service in one transaction; a refused form is skipped with its
reason and left exactly as it was; tickets in one PDF; the list's statements do not grow with rows."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from core import clock
from core.audit import AuditLog
from core.notify import inbox
from registration import services
from registration.models import State
from tests.conftest import PASSWORD, page_statements
from tests.registration.conftest import form_data, make_id, photo_bytes


def sign_in(client, user):
    assert client.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 302


def forms(db, event, staff, n, *, start=0, photo=True, **overrides):
    made = []
    for k in range(start, start + n):
        made.append(services.save_registration(
            db.session, registration=None, event=event, centre=staff.centre,
            data=form_data(full_name=f"考生{k:03d}", id_number=make_id(date(2000, 1, 1) + timedelta(days=k),
                                                                   seq=f"{k % 90 + 10}"),
                           birth_date=date(2000, 1, 1) + timedelta(days=k), email=f"c{k}@example.com", **overrides),
            photo=photo_bytes() if photo else None, user=staff, now=clock.now()))
    db.session.commit()
    return made


def advance(db, registrations, steps):
    for r in registrations:
        for action, user in steps:
            services.act(db.session, registration=r, action=action, user=user, now=clock.now())
    db.session.commit()


def bulk(client, action, ids=(), query="", **fields):
    data = {"action": action, "ids": list(ids), **fields}
    return client.submit(f"/registration/bulk?lang=en{query}", data)


def summary(response):
    page = response.get_data(as_text=True)
    done = re.search(r'data-testid="bulk-done" data-n="(\d+)"', page)
    skipped = re.search(r'data-testid="bulk-skipped-count" data-n="(\d+)"', page)
    return int(done.group(1)) if done else None, int(skipped.group(1)) if skipped else 0, page


def test_centre_submits_many_and_a_refused_form_is_skipped_with_its_reason(client, db, event, staff,
                                                                          frozen_clock):
    ready = forms(db, event, staff, 3)
    no_photo = forms(db, event, staff, 1, start=3, photo=False)[0]
    sign_in(client, staff)
    response = bulk(client, "submit", [r.public_id for r in [*ready, no_photo]])
    done, skipped, page = summary(response)
    assert response.status_code == 200 and (done, skipped) == (3, 1)
    assert "3 submitted for review" in page and "1 skipped" in page
    row = re.search(rf'data-registration="{no_photo.public_id}">(.*?)</tr>', page, re.S).group(1)
    assert "考生003" in row and "photo" in row.lower()
    db.session.expire_all()
    assert [r.state for r in ready] == [State.SUBMITTED] * 3 and no_photo.state is State.DRAFT
    assert no_photo.submitted_at is None


def test_a_form_refused_half_way_is_rolled_back_whole(client, db, event, staff, create_user, login_as,
                                                      frozen_clock):
    admin = create_user("admin")
    first, second = forms(db, event, staff, 2)  # the list is newest first: `second` is enrolled first
    second.applicant_id = create_user("candidate").id
    db.session.commit()
    advance(db, [first, second], [("submit", staff), ("centre_approve", staff), ("approve", admin)])
    create_user("candidate", username="2026gd0002")  # the account `first` would get is taken
    client.submit("/logout")
    sign_in(client, admin)
    done, skipped, page = summary(bulk(client, "enrol", [first.public_id, second.public_id]))
    assert (done, skipped) == (1, 1) and "2026gd0002" in page
    db.session.expire_all()
    assert second.state is State.ENROLLED and second.candidate_number == "2026GD0001"
    assert first.state is State.APPROVED
    assert (first.candidate_number, first.user_id, first.seat, first.enrolled_at) == (None, None, None, None)
    enrolled = db.session.scalars(select(AuditLog.object_id).where(AuditLog.action == "registration.enrol")).all()
    assert enrolled == [second.public_id]


def test_admin_approves_every_form_the_filter_finds(client, db, event, staff, create_user, frozen_clock):
    admin = create_user("admin")
    waiting = forms(db, event, staff, 4)
    advance(db, waiting, [("submit", staff), ("centre_approve", staff)])
    other = forms(db, event, staff, 1, start=10)[0]
    advance(db, [other], [("submit", staff)])
    sign_in(client, admin)
    app_page = client.get("/registration/?lang=en&state=centre_approved").get_data(as_text=True)
    assert 'data-testid="bulk-form"' in app_page
    done, skipped, _page = summary(bulk(client, "approve", query="&state=centre_approved", scope="all",
                                        comment="同意"))
    assert (done, skipped) == (4, 0)
    db.session.expire_all()
    assert {r.state for r in waiting} == {State.APPROVED} and {r.project_opinion for r in waiting} == {"同意"}
    assert other.state is State.SUBMITTED


def test_a_centre_cannot_reach_another_centres_forms_nor_act_beyond_its_role(client, db, event, staff,
                                                                            create_user, frozen_clock):
    theirs = forms(db, event, staff, 2)
    advance(db, theirs, [("submit", staff)])
    stranger = create_user("centre_staff")
    sign_in(client, stranger)
    response = bulk(client, "approve", [r.public_id for r in theirs])
    assert response.status_code == 302
    response = bulk(client, "approve", scope="all")
    assert response.status_code == 302
    client.submit("/logout")
    sign_in(client, staff)
    assert bulk(client, "enrol", [r.public_id for r in theirs]).status_code == 302  # an administrator's step
    assert bulk(client, "nonsense", [r.public_id for r in theirs]).status_code == 302
    response = bulk(client, "return", [r.public_id for r in theirs], return_comment="请修改")  # no field ticked
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "List at least one field to correct" in page
    db.session.expire_all()
    assert {r.state for r in theirs} == {State.SUBMITTED}
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action.in_(["registration.centre_approve", "registration.return", "registration.bulk"]))) == 0


def test_return_many_with_one_comment_and_the_fields(client, db, event, staff, create_user, frozen_clock):
    colleague = create_user("centre_staff", centre=staff.centre)
    chosen = forms(db, event, staff, 2)
    advance(db, chosen, [("submit", staff)])
    sign_in(client, staff)
    done, _skipped, _page = summary(bulk(client, "return", [r.public_id for r in chosen], fix=["phone", "photo"],
                                         return_comment="请核对"))
    assert done == 2
    db.session.expire_all()
    for r in chosen:
        assert r.state is State.RETURNED
        assert [(c.field, c.comment) for c in r.open_corrections] == [("phone", "请核对"), ("photo", "请核对")]
    notes = inbox(db.session, colleague.id)
    assert sorted(n.link for n in notes) == sorted(f"/registration/{r.public_id}" for r in chosen)
    assert all("请核对" in n.body for n in notes)


def test_tickets_of_the_selected_enrolled_candidates_in_one_pdf(client, db, event, staff, create_user,
                                                                frozen_clock):
    admin = create_user("admin")
    chosen = forms(db, event, staff, 3)
    advance(db, chosen[:2], [("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)])
    sign_in(client, staff)
    response = bulk(client, "tickets", [r.public_id for r in chosen])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages]
    numbers = sorted(r.candidate_number for r in chosen[:2])
    assert len(pages) == 2 and sorted(n for n in numbers for text in pages if n in text) == numbers
    assert bulk(client, "tickets", [chosen[2].public_id]).status_code == 302  # not enrolled: no ticket


def test_export_the_selected_forms(client, db, event, staff, frozen_clock):
    chosen = forms(db, event, staff, 3)
    sign_in(client, staff)
    response = bulk(client, "export", [chosen[0].public_id, chosen[2].public_id])
    ws = load_workbook(io.BytesIO(response.data)).active
    assert sorted(row[2] for row in ws.iter_rows(min_row=2, values_only=True)) == ["考生000", "考生002"]
    everything = load_workbook(io.BytesIO(client.get("/registration/?format=xlsx").data)).active
    assert everything.max_row == 4  # the list's own export: every form the filter finds


def test_assign_a_session_to_many(client, db, event, staff, create_user, frozen_clock):
    admin = create_user("admin")
    second = services.add_session(db.session, event=event, name="第二场", starts_at=clock.now() + timedelta(days=41),
                                  ends_at=clock.now() + timedelta(days=41, hours=1), site="深圳考点", address="",
                                  seats=1, actor=admin)
    db.session.commit()
    chosen = forms(db, event, staff, 3)
    advance(db, chosen[:2], [("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)])
    sign_in(client, admin)
    done, skipped, page = summary(bulk(client, "assign_session", [r.public_id for r in chosen],
                                       event_session=str(second.id)))
    assert (done, skipped) == (1, 2)  # one seat; the third is not enrolled
    assert "is full" in page and "Only an enrolled candidate" in page
    db.session.expire_all()
    moved = [r for r in chosen if r.session_id == second.id]
    assert len(moved) == 1 and moved[0].seat == 1


def _statements(client, url) -> tuple[int, str]:
    return page_statements(client, url)


def test_the_list_runs_a_fixed_number_of_statements_however_many_rows(client, db, event, staff, create_user,
                                                                      frozen_clock):
    admin = create_user("admin")
    forms(db, event, staff, 2)
    sign_in(client, admin)
    few, page = _statements(client, "/registration/")
    assert page.count('name="ids"') == 2
    for k in range(4):  # more rows, from more centres and events
        other_staff = create_user("centre_staff")
        other_event = services.save_event(db.session, event=None, actor=admin, fields={
            **{f: getattr(event, f) for f in services.EVENT_FIELDS}, "code": f"E{k}", "name": f"活动 {k}"})
        forms(db, other_event, other_staff, 3, start=10 * k + 20)
    many, page = _statements(client, "/registration/")
    assert page.count('name="ids"') == 14
    assert many == few, (few, many)


def test_an_id_with_a_nul_is_refused_with_a_message_and_changes_nothing(client, db, event, staff, frozen_clock):
    """Found by the fuzz pass on PostgreSQL, which stores no NUL in text: the ticked ids were read
    past the form's checks and reached the database (a 500)."""
    ready = forms(db, event, staff, 1)
    sign_in(client, staff)
    response = bulk(client, "submit", [ready[0].public_id, "abc\x00def"])
    assert response.status_code == 302
    db.session.expire_all()
    assert ready[0].state is State.DRAFT
