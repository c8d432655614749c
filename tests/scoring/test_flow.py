"""Issue 15, the referees' and chief referee's flow: the referee's stations by event and task with
the next station, the referee × task grid, the divergence card, re-mark requests that reach the
referees, each stage signing in its own session, and bulk reads whose statement count does not
grow with the candidates."""

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core import clock
from core.errors import DomainError, NotAllowed
from core.notify import Notification
from registration.models import Event
from scoring import assignments, reads, services
from scoring.models import Assignment, Flag, FlagStatus, SignOff
from tests.conftest import PASSWORD
from tests.scoring.conftest import enrol_more, set_centre, statements, station


def sign_in(app, user, lang="en"):
    client = app.test_client()
    client.set_cookie("lang", lang)
    assert client.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def by_code(task):
    return {a.code: a for a in task.aspects}


def save(db, task, person, referee, values, *, versions=None, submit=True):
    codes = by_code(task)
    entries = {codes[c].id: (str(v), (versions or {}).get(c)) for c, v in values.items()}
    services.save_marks(db.session, task=task, registration=person, referee=referee, entries=entries, submit=submit,
                        now=clock.now())
    db.session.commit()


def both_mark(db, task, person, r1, r2, judged=(2, 3)):
    """Both referees submit a task (1-5): shared measurements 5 and 0, their judgements."""
    n = task.number
    save(db, task, person, r1, {f"{n}.1": 5, f"{n}.2": 0, f"{n}.3": judged[0]})
    save(db, task, person, r2, {f"{n}.1": 5, f"{n}.2": 0, f"{n}.3": judged[1]}, versions={f"{n}.1": 1, f"{n}.2": 1})


def every_task(panel, *referees):
    return {(r.id, t.id) for r in referees for t in panel["scheme"].tasks}


# --- 1. the referee's stations and the next station ---------------------------------------------


def test_my_marking_is_grouped_by_event_and_task_and_leads_to_the_next_station(app, db, panel, frozen_clock):
    scheme, r1 = panel["scheme"], panel["r1"]
    task = scheme.tasks[0]
    assignments.assign_tasks(db.session, scheme=scheme, cells={(r1.id, task.id)}, actor=panel["admin"])
    db.session.commit()
    numbers = sorted(station(db, task, p) for p in panel["people"])
    client = sign_in(app, r1)
    page = client.get("/scoring/").get_data(as_text=True)
    assert scheme.event.name in page and 'data-testid="task-1"' in page and 'data-testid="task-2"' not in page
    for n in numbers:
        assert f'data-testid="station-1-{n}"' in page
    assert page.count('data-state="not_started"') == 3 and "选手" not in page  # stations, never names

    ids = {a.code: a.id for a in task.aspects}
    marks = {f"aspect_{ids['1.1']}": "5", f"aspect_{ids['1.2']}": "0", f"aspect_{ids['1.3']}": "2",
             "action": "submit"}
    url = f"/scoring/tasks/{task.id}/stations/{{}}"
    response = client.submit(url.format(numbers[1]), marks, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"Next station: {numbers[2]}." in page  # the one after, not the first
    link = rf'href="/scoring/tasks/{task.id}/stations/{numbers[2]}"[^>]*data-testid="next-station-link"'
    assert re.search(link, page)
    assert 'data-testid="back-to-list"' in page
    page = client.submit(url.format(numbers[2]), marks, follow_redirects=True).get_data(as_text=True)
    assert f"Next station: {numbers[0]}." in page  # wraps round to the first one still open
    page = client.submit(url.format(numbers[0]), marks, follow_redirects=True).get_data(as_text=True)
    assert "Every one of your stations in this task is complete." in page and 'data-testid="no-next-station"' in page
    page = client.get("/scoring/").get_data(as_text=True)
    assert page.count('data-state="complete"') == 3 and "3 of 3 stations complete" in page


# --- 2. the referee × task grid -----------------------------------------------------------------


def test_one_post_assigns_referees_to_tasks_with_an_overview(app, db, panel, frozen_clock):
    scheme, r1, r2 = panel["scheme"], panel["r1"], panel["r2"]
    event = scheme.event
    set_centre(db, r2, panel["centre_a"])  # people 0 and 1 come from centre A: r2 may not mark them
    client = sign_in(app, panel["admin"])
    page = client.get(f"/scoring/events/{event.public_id}").get_data(as_text=True)
    assert 'data-testid="assign-grid"' in page and f'data-testid="cell-{r1.username}-6"' in page
    assert f'data-testid="cell-{panel["chief"].username}-1"' in page  # chief referees are rows too

    cells = [f"{r}:{t}" for r, t in every_task(panel, r1, r2)]
    response = client.submit(f"/scoring/events/{event.public_id}/assignments", {"cell": cells}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 6 * 3 + 6 * 1  # in one post
    assert "24 station(s) added" in page and "Conflict of interest" in page
    own = sorted(station(db, scheme.tasks[0], p) for p in panel["people"][:2])
    assert f"stations {own[0]}, {own[1]} of task 1" in page
    assert services.is_assigned(db.session, scheme.tasks[3], r2, panel["people"][2])
    assert not services.is_assigned(db.session, scheme.tasks[3], r2, panel["people"][0])
    overview = page[page.index('data-testid="assignment-overview"'):]
    row = overview[overview.index('data-testid="overview-1"'):overview.index('data-testid="overview-2"')]
    assert f"{r1.full_name} (3/3)" in row and f"{r2.full_name} (1/3)" in row
    assert 'data-testid="uncovered-1">0<' in row
    assert f'value="{r1.id}:{scheme.tasks[0].id}" id="cell-{r1.id}-{scheme.tasks[0].id}"' in page
    assert re.search(rf'id="cell-{r1.id}-{scheme.tasks[0].id}"[^>]*checked', page)
    assert not re.search(rf'id="cell-{r2.id}-{scheme.tasks[0].id}"[^>]*checked', page)  # 1/3: partial

    # Unticking r1's task 2 takes r1 off it; r2's partial cells, unticked, stay as they are.
    cells.remove(f"{r1.id}:{scheme.tasks[1].id}")
    kept = [c for c in cells if not c.startswith(f"{r2.id}:")]
    client.submit(f"/scoring/events/{event.public_id}/assignments", {"cell": kept})
    assert not services.is_assigned(db.session, scheme.tasks[1], r1, panel["people"][0])
    assert services.is_assigned(db.session, scheme.tasks[0], r1, panel["people"][0])
    assert services.is_assigned(db.session, scheme.tasks[0], r2, panel["people"][2])
    count = db.session.scalar(select(func.count()).select_from(Assignment))
    assert count == 5 * 3 + 6

    # A referee who has judged in a task cannot be taken off it: the whole post changes nothing.
    task = scheme.tasks[0]
    save(db, task, panel["people"][0], r1, {"1.1": 5, "1.2": 0, "1.3": 2})
    refused = [c for c in kept if c not in (f"{r1.id}:{task.id}", f"{r1.id}:{scheme.tasks[2].id}")]
    page = client.submit(f"/scoring/events/{event.public_id}/assignments", {"cell": refused},
                         follow_redirects=True).get_data(as_text=True)
    assert "has entered judgement marks in task 1" in page
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == count

    for bad in (["x:y"], [f"{r1.id}:999999"], [f"999999:{task.id}"], [f"{panel['admin'].id}:{task.id}"]):
        response = client.submit(f"/scoring/events/{event.public_id}/assignments", {"cell": bad},
                                 follow_redirects=True)
        assert response.status_code == 200
        assert "nothing was changed" in response.get_data(as_text=True), bad
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == count

    # The per-station form still works beside the grid.
    response = client.submit(f"/scoring/events/{event.public_id}/assign", {
        "task": str(scheme.tasks[1].id), "referee": r1.username,
        "stations": str(station(db, scheme.tasks[1], panel["people"][0]))})
    assert response.status_code == 302 and services.is_assigned(db.session, scheme.tasks[1], r1, panel["people"][0])


# --- 3. the divergence card and 4. the re-mark request -----------------------------------------


def test_the_chief_sees_the_divergence_and_a_remark_reaches_the_referees(app, db, panel, frozen_clock):
    scheme, r1, r2 = panel["scheme"], panel["r1"], panel["r2"]
    task, person = scheme.tasks[1], panel["people"][0]
    assignments.assign_tasks(db.session, scheme=scheme, cells={(r1.id, task.id), (r2.id, task.id)},
                          actor=panel["admin"])
    db.session.commit()
    both_mark(db, task, person, r1, r2, judged=(0, 3))
    n = station(db, task, person)
    chief = sign_in(app, panel["chief"])
    page = chief.get(f"/scoring/events/{scheme.event.public_id}").get_data(as_text=True)
    card = page[page.index('data-testid="flag"'):]
    card = card[:card.index("</form>")]
    assert f"Task 2 · station {n} · 2.3" in card
    assert f"{r1.full_name}: <strong>0</strong>" in card and f"{r2.full_name}: <strong>3</strong>" in card
    assert 'data-testid="flag-candidate"' not in card and person.public_id not in page  # blind for the chief
    admin = sign_in(app, panel["admin"])
    page = admin.get(f"/scoring/events/{scheme.event.public_id}").get_data(as_text=True)
    link = f'href="/scoring/events/{scheme.event.public_id}/candidates/{person.public_id}" data-testid="flag-candidate"'
    assert link in page

    flag = db.session.scalar(select(Flag))
    chief.submit(f"/scoring/flags/{flag.id}", {"decision": "remark", "note": "Look at 2.3 again"})
    db.session.refresh(flag)
    assert flag.status is FlagStatus.REMARK
    notes = db.session.scalars(select(Notification).where(Notification.link.like("/scoring/%"))
                               .order_by(Notification.user_id)).all()
    assert [x.user_id for x in notes] == sorted([r1.id, r2.id])
    assert {x.link for x in notes} == {f"/scoring/tasks/{task.id}/stations/{n}"}
    assert all("Look at 2.3 again" in x.body and str(n) in x.subject for x in notes)
    assert not any(person.full_name in x.body + x.subject for x in notes)
    referee = sign_in(app, r1)
    page = referee.get(f"/scoring/tasks/{task.id}/stations/{n}").get_data(as_text=True)
    assert 'data-testid="remark-request" data-aspect="2.3"' in page
    assert '<span data-testid="remark-note">Look at 2.3 again</span>' in page
    page = chief.get(f"/scoring/events/{scheme.event.public_id}").get_data(as_text=True)
    assert 'data-status="remark"' in page and f"{r1.full_name}: <strong>0</strong>*" in page  # back to draft

    save(db, task, person, r1, {"2.1": 5, "2.2": 0, "2.3": 2}, versions={"2.1": 1, "2.2": 1})
    save(db, task, person, r2, {"2.1": 5, "2.2": 0, "2.3": 3}, versions={"2.1": 1, "2.2": 1})
    page = referee.get(f"/scoring/tasks/{task.id}/stations/{n}").get_data(as_text=True)
    assert 'data-testid="remark-request"' not in page  # resolved by re-marking


# --- 5. each stage signs in its own session -----------------------------------------------------


def test_each_stage_signs_for_itself(app, db, panel, frozen_clock, create_user):
    scheme, r1, r2, chief_user = panel["scheme"], panel["r1"], panel["r2"], panel["chief"]
    task, person = scheme.tasks[0], panel["people"][0]
    for r in (r1, r2):
        services.assign(db.session, task=task, referee=r, stations=[station(db, task, person)], actor=panel["admin"])
    both_mark(db, task, person, r1, r2)
    services.lock_task(db.session, task=task, chief=chief_user, now=clock.now())
    db.session.commit()
    url = f"/scoring/tasks/{task.id}/sign/{{}}"

    def signatures(stage):
        return db.session.scalar(select(func.count()).where(SignOff.stage == stage))

    chief = sign_in(app, chief_user)
    page = chief.submit(url.format("referee"), follow_redirects=True).get_data(as_text=True)
    assert "Only the referees who mark task 1 sign its referee stage" in page and signatures("referee") == 0
    page = chief.submit(url.format("chief"), follow_redirects=True).get_data(as_text=True)
    assert "The referee stage is not complete" in page and r1.full_name in page and signatures("chief") == 0
    assert 'data-testid="signatures-1">Referees signed: 0 of 2' in page

    first = sign_in(app, r1)
    page = first.get("/scoring/").get_data(as_text=True)
    assert 'data-testid="sign-1"' in page
    response = first.submit(url.format("referee"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/scoring/")
    assert db.session.scalar(select(SignOff.user_id).where(SignOff.stage == "referee")) == r1.id
    page = first.get("/scoring/").get_data(as_text=True)
    assert 'data-testid="signed-1"' in page and 'data-testid="sign-1"' not in page and r2.full_name in page
    page = first.submit(url.format("referee"), follow_redirects=True).get_data(as_text=True)
    assert "You have signed task 1 already." in page and signatures("referee") == 1
    page = first.submit(url.format("chief"), follow_redirects=True).get_data(as_text=True)
    assert "Only a chief referee signs" in page and signatures("chief") == 0

    outsider = sign_in(app, create_user("referee"))
    page = outsider.submit(url.format("referee"), follow_redirects=True).get_data(as_text=True)
    assert "you do not mark this task" in page and signatures("referee") == 1

    assert sign_in(app, r2).submit(url.format("referee")).status_code == 302
    admin = sign_in(app, panel["admin"])
    page = admin.submit(url.format("supervisor"), follow_redirects=True).get_data(as_text=True)
    assert "must sign first" in page and signatures("supervisor") == 0
    page = admin.submit(url.format("referee"), follow_redirects=True).get_data(as_text=True)
    assert "you do not mark this task" in page
    chief.submit(url.format("chief"))
    db.session.refresh(task)
    assert signatures("chief") == 1 and task.signed_off_at is not None
    admin.submit(url.format("supervisor"))
    assert signatures("supervisor") == 1 and services.signature_mismatches(db.session, task) == []


def test_a_chief_referee_who_marks_a_task_signs_its_referee_stage(db, panel, frozen_clock):
    task, person, chief = panel["scheme"].tasks[0], panel["people"][0], panel["chief"]
    with pytest.raises(NotAllowed):
        services.sign_off(db.session, task=task, stage="referee", user=chief, now=clock.now())
    services.assign(db.session, task=task, referee=chief, stations=[station(db, task, person)], actor=panel["admin"])
    save(db, task, person, chief, {"1.1": 5, "1.2": 0, "1.3": 1})
    with pytest.raises(DomainError, match="Lock|锁定"):
        services.sign_off(db.session, task=task, stage="referee", user=chief, now=clock.now())
    services.lock_task(db.session, task=task, chief=chief, now=clock.now())
    services.sign_off(db.session, task=task, stage="referee", user=chief, now=clock.now())
    services.sign_off(db.session, task=task, stage="chief", user=chief, now=clock.now())
    assert services.signature_state(db.session, [task])[task.id].referee_stage


# --- 6. bulk reads: the statements do not grow with the candidates ------------------------------


def fill(db, panel, people, *, diverge=None):
    """Both referees on every station of every task; tasks 1-5 marked by both, a deduction in 6."""
    scheme = panel["scheme"]
    assignments.assign_tasks(db.session, scheme=scheme, cells=every_task(panel, panel["r1"], panel["r2"]),
                          actor=panel["admin"])
    db.session.commit()
    for person in people:
        for task in scheme.tasks[:5]:
            both_mark(db, task, person, panel["r1"], panel["r2"], judged=(0, 3) if person is diverge else (2, 3))
        services.add_violation(db.session, aspect=scheme.tasks[5].aspects[0], registration=person,
                               referee=panel["r1"], points=D(1), reason="工位杂乱", now=clock.now())
    db.session.commit()


def counted(db, event_id):
    db.session.expire_all()
    with statements(db) as seen:
        event = db.session.get(Event, event_id)
        totals = reads.practical_totals(db.session, event)
    n_totals = len(seen)
    db.session.expire_all()
    with statements(db) as seen:
        event = db.session.get(Event, event_id)
        progress = reads.practical_progress(db.session, event)
    return totals, n_totals, progress, len(seen)


def page_statements(db, client, url):
    with statements(db) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen), response


def test_board_my_marking_and_bulk_reads_do_not_grow_with_the_candidates(app, db, panel, frozen_clock):
    scheme = panel["scheme"]
    event_id, public_id = scheme.event.id, scheme.event.public_id
    fill(db, panel, panel["people"], diverge=panel["people"][2])
    admin, referee = sign_in(app, panel["admin"]), sign_in(app, panel["r1"])
    admin.get("/"), referee.get("/")  # the first page after signing in may do more: not what is measured
    board_small, _r = page_statements(db, admin, f"/scoring/events/{public_id}/board")
    mine_small, _r = page_statements(db, referee, "/scoring/")
    totals, totals_small, progress, progress_small = counted(db, event_id)
    people = panel["people"]
    assert totals[people[2].id] is None  # an open divergence in tasks 1-5
    expected = [D("5") + D("3.33"), D("5") + D("3.33"), D("5") + D("4.17"), D("5") + D("2.50"), D("5") + D("2.50"),
                D("4")]
    assert totals[people[0].id] == totals[people[1].id] == sum(expected)
    assert totals[people[0].id] == sum(services.task_score(db.session, t, people[0]) for t in scheme.tasks)
    counts = (progress.tasks, progress.tasks_locked, progress.stations_drawn, progress.marks_missing,
              progress.open_flags, progress.scheme_locked)
    assert counts == (6, 0, 18, 0, 5, True)
    assert [(n, mean) for n, _name, mean, _max in progress.task_means][-1] == (6, D("4.00"))

    added = enrol_more(db, panel, 27)
    progress = reads.practical_progress(db.session, scheme.event)
    assert progress.stations_drawn == 180 and progress.marks_missing == 27 * 5 * (2 + 3)  # nobody assigned yet
    fill(db, panel, added)
    board_large, response = page_statements(db, admin, f"/scoring/events/{public_id}/board")
    assert response.get_data(as_text=True).count("<tr data-candidate=") == 30
    mine_large, response = page_statements(db, referee, "/scoring/")
    assert response.get_data(as_text=True).count('data-testid="station-1-') == 30
    totals, totals_large, progress, progress_large = counted(db, event_id)
    assert len(totals) == 30 and sum(v is None for v in totals.values()) == 1
    assert progress.stations_drawn == 180 and progress.marks_missing == 0 and progress.open_flags == 5
    assert (board_large, mine_large, totals_large, progress_large) == (board_small, mine_small, totals_small,
                                                                       progress_small)
    assert totals_small <= 10 and progress_small <= 10
