from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditLog
from core.errors import Conflict, DomainError, NotAllowed
from scoring import services
from scoring.models import FlagStatus, Mark
from tests.scoring.conftest import set_centre, station


def aspects(task):
    return {a.code: a for a in task.aspects}


def mark(db, task, registration, referee, values: dict, *, submit=True, versions=None):
    by_code = aspects(task)
    entries = {by_code[c].id: (str(v), (versions or {}).get(c)) for c, v in values.items()}
    services.save_marks(db.session, task=task, registration=registration, referee=referee, entries=entries,
                        submit=submit, now=clock.now())
    db.session.commit()


def assign(db, panel, task, referee, registration):
    services.assign(db.session, task=task, referee=referee, stations=[station(db, task, registration)],
                    actor=panel["admin"])
    db.session.commit()


def test_default_scheme_adds_up(panel):
    scheme = panel["scheme"]
    assert [t.number for t in scheme.tasks] == [1, 2, 3, 4, 5, 6]
    assert services.scheme_problems(scheme) == []
    with pytest.raises(DomainError):  # locked: no more changes
        services.save_task(None, task=scheme.tasks[0], name="x", max_points=D(10), actor=panel["admin"])


def test_full_task_score(db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]  # 20 points: 1.1 measurement 12 step 1, 1.2 all-or-nothing 4, 1.3 judgement 4
    person = panel["people"][0]
    for r in (panel["r1"], panel["r2"]):
        assign(db, panel, task, r, person)
    mark(db, task, person, panel["r1"], {"1.1": 9, "1.2": 4, "1.3": 2})
    mark(db, task, person, panel["r2"], {"1.1": 9, "1.2": 4, "1.3": 3}, versions={"1.1": 1, "1.2": 1})
    assert services.task_score(db.session, task, person) == D("9") + D("4") + D("3.33")  # judgement (2+3)/2/3×4
    assert services.task_state(db.session, task, person) == "complete"


def test_deduction_task(db, panel, frozen_clock):
    task = panel["scheme"].tasks[5]
    person = panel["people"][1]
    assign(db, panel, task, panel["r1"], person)
    aspect = task.aspects[0]
    services.add_violation(db.session, aspect=aspect, registration=person, referee=panel["r1"], points=D(2),
                           reason="工位杂乱", now=clock.now())
    services.add_violation(db.session, aspect=aspect, registration=person, referee=panel["r1"], points=D(4),
                           reason="未佩戴防护用品", now=clock.now())
    assert services.task_score(db.session, task, person) == D("0.00")  # 5 − 6, never below zero
    with pytest.raises(DomainError):
        services.add_violation(db.session, aspect=aspect, registration=person, referee=panel["r1"], points=D(1),
                               reason=" ", now=clock.now())



def test_a_deduction_only_task_is_complete_once_staffed_and_can_be_locked(db, panel, frozen_clock):
    task = panel["scheme"].tasks[5]  # task 6: deductions only, nothing to mark
    for person in panel["people"]:
        assert services.task_state(db.session, task, person) == "not_started"  # no referee yet
        assign(db, panel, task, panel["r1"], person)
        assert services.task_state(db.session, task, person) == "complete"
    services.lock_task(db.session, task=task, chief=panel["chief"], now=clock.now())
    assert services.task_state(db.session, task, panel["people"][0]) == "locked"


def test_out_of_range_and_wrong_step_are_refused_and_nothing_saved(db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    person = panel["people"][0]
    assign(db, panel, task, panel["r1"], person)
    with pytest.raises(services.InvalidMarks) as caught:
        mark(db, task, person, panel["r1"], {"1.1": "11.5", "1.2": 3, "1.3": 7})
    problems = caught.value.problems
    by_code = aspects(task)
    assert "倍数" in problems[by_code["1.1"].id] or "multiple" in problems[by_code["1.1"].id]
    assert by_code["1.2"].id in problems and by_code["1.3"].id in problems
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Mark)) == 0
    with pytest.raises(services.InvalidMarks):
        mark(db, task, person, panel["r1"], {"1.1": 13})
    db.session.rollback()
    with pytest.raises(services.InvalidMarks):  # submitting needs every aspect
        mark(db, task, person, panel["r1"], {"1.1": 5})


def test_divergence_flag_and_its_resolution(app, db, panel, frozen_clock):
    task = panel["scheme"].tasks[1]
    person = panel["people"][0]
    for r in (panel["r1"], panel["r2"]):
        assign(db, panel, task, r, person)
    mark(db, task, person, panel["r1"], {"2.1": 10, "2.2": 4, "2.3": 0})
    mark(db, task, person, panel["r2"], {"2.1": 10, "2.2": 4, "2.3": 3}, versions={"2.1": 1, "2.2": 1})
    assert services.task_state(db.session, task, person) == "flagged"
    from scoring.models import Flag

    flag = db.session.scalar(select(Flag))
    with pytest.raises(NotAllowed):
        services.decide_flag(db.session, flag=flag, decision="remark", note="", chief=panel["r1"], now=clock.now())
    with app.test_request_context():  # the referees' notification links to the entry page
        services.decide_flag(db.session, flag=flag, decision="remark", note="请重新评判", chief=panel["chief"],
                             now=clock.now())
    db.session.commit()
    assert flag.status is FlagStatus.REMARK and services.task_state(db.session, task, person) == "flagged"
    # The shared measurement marks did not change, so they are still at version 1.
    mark(db, task, person, panel["r1"], {"2.1": 10, "2.2": 4, "2.3": 2}, versions={"2.1": 1, "2.2": 1})
    mark(db, task, person, panel["r2"], {"2.1": 10, "2.2": 4, "2.3": 3}, versions={"2.1": 1, "2.2": 1})
    assert flag.status is FlagStatus.CONFIRMED and services.task_state(db.session, task, person) == "complete"
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "flag.remark")) == 1


def test_conflict_of_interest_is_refused(db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    own = panel["people"][0]  # from centre A
    set_centre(db, panel["r1"], panel["centre_a"])
    with pytest.raises(Conflict, match="利益冲突|Conflict of interest"):
        services.assign(db.session, task=task, referee=panel["r1"],
                        stations=[station(db, task, panel["people"][2]), station(db, task, own)],
                        actor=panel["admin"])
    db.session.rollback()
    assert not services.is_assigned(db.session, task, panel["r1"], panel["people"][2])  # nothing assigned
    assert services.assign(db.session, task=task, referee=panel["r1"], stations=[station(db, task, panel["people"][2])],
                           actor=panel["admin"]) == 1


def test_unassigned_referee_cannot_mark(db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    with pytest.raises(NotAllowed):
        mark(db, task, panel["people"][0], panel["r1"], {"1.1": 5}, submit=False)


def test_concurrent_edits_lose_no_update(db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    person = panel["people"][0]
    for r in (panel["r1"], panel["r2"]):
        assign(db, panel, task, r, person)
    mark(db, task, person, panel["r1"], {"1.1": 5}, submit=False)  # version 1 on both screens
    mark(db, task, person, panel["r2"], {"1.1": 7}, submit=False, versions={"1.1": 1})  # r2 saves first → v2
    with pytest.raises(Conflict, match="裁判二|changed"):
        mark(db, task, person, panel["r1"], {"1.1": 6}, submit=False, versions={"1.1": 1})  # r1's stale screen
    db.session.rollback()
    shared = db.session.scalar(select(Mark).where(Mark.slot == 0))
    assert shared.value == D(7) and shared.version == 2


def test_lock_needs_every_mark_and_unlock_is_audited(db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    person = panel["people"][0]
    assign(db, panel, task, panel["r1"], person)
    with pytest.raises(DomainError):
        services.lock_task(db.session, task=task, chief=panel["chief"], now=clock.now())
    mark(db, task, person, panel["r1"], {"1.1": 12, "1.2": 0, "1.3": 3})
    with pytest.raises(NotAllowed):
        services.lock_task(db.session, task=task, chief=panel["r1"], now=clock.now())
    services.lock_task(db.session, task=task, chief=panel["chief"], now=clock.now())
    db.session.commit()
    with pytest.raises(DomainError, match="锁定|locked"):
        mark(db, task, person, panel["r1"], {"1.1": 11}, versions={"1.1": 1})
    db.session.rollback()
    with pytest.raises(DomainError):
        services.unlock_task(db.session, task=task, admin=panel["admin"], reason="", now=clock.now())
    services.unlock_task(db.session, task=task, admin=panel["admin"], reason="登分错误需更正", now=clock.now())
    db.session.commit()
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "scoring.unlock"))
    assert entry.comment == "登分错误需更正" and task.locked_at is None


def test_sign_offs_in_order_and_mismatch_after_a_change(db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    person = panel["people"][0]
    assign(db, panel, task, panel["r1"], person)
    mark(db, task, person, panel["r1"], {"1.1": 12, "1.2": 4, "1.3": 3})
    services.lock_task(db.session, task=task, chief=panel["chief"], now=clock.now())
    with pytest.raises(DomainError):
        services.sign_off(db.session, task=task, stage="chief", user=panel["chief"], now=clock.now())
    services.sign_off(db.session, task=task, stage="referee", user=panel["r1"], now=clock.now())
    services.sign_off(db.session, task=task, stage="chief", user=panel["chief"], now=clock.now())
    services.sign_off(db.session, task=task, stage="supervisor", user=panel["admin"], now=clock.now())
    assert services.signature_mismatches(db.session, task) == [] and task.signed_off_at is not None
    services.unlock_task(db.session, task=task, admin=panel["admin"], reason="复核", now=clock.now())
    mark(db, task, person, panel["r1"], {"1.1": 11, "1.2": 4, "1.3": 3}, versions={"1.1": 1, "1.2": 1})
    assert len(services.signature_mismatches(db.session, task)) == 3


def test_scheme_excel_round_trip_and_refusals(db, event, create_user, frozen_clock):
    import io

    from openpyxl import load_workbook

    from scoring import transfer

    admin = create_user("admin")
    scheme = services.create_scheme(db.session, event=event, actor=admin)
    data = transfer.export(scheme)
    assert transfer.import_scheme(db.session, scheme=scheme, data=data, actor=admin) == 16
    assert services.scheme_problems(scheme) == []
    wb = load_workbook(io.BytesIO(data))
    wb.active["G2"] = 13  # aspect 1.1: 12 → 13, task 1 no longer adds up
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(DomainError, match="1"):
        transfer.import_scheme(db.session, scheme=scheme, data=buf.getvalue(), actor=admin)
    db.session.rollback()
    with pytest.raises(DomainError):
        transfer.import_scheme(db.session, scheme=scheme, data=b"not excel", actor=admin)


def test_new_version_keeps_old_marks_with_their_version(db, panel, frozen_clock):
    scheme = panel["scheme"]
    task = scheme.tasks[0]
    person = panel["people"][0]
    assign(db, panel, task, panel["r1"], person)
    mark(db, task, person, panel["r1"], {"1.1": 12, "1.2": 4, "1.3": 3})
    copy = services.new_version(db.session, scheme=scheme, actor=panel["admin"])
    db.session.commit()
    assert copy.version == 2 and copy.locked_at is None and services.current_scheme(db.session, scheme.event) is copy
    old_mark = db.session.scalar(select(Mark))
    assert old_mark.aspect.task.scheme is scheme  # the mark still refers to version 1
    assert services.is_assigned(db.session, copy.tasks[0], panel["r1"], person)
    assert services.station_of(db.session, copy.tasks[0], person).number == station(db, task, person)
    history = services.score_history(db.session, person)
    assert [e.action for e in history] == ["mark.create", "mark.create", "mark.create"]


def test_two_person_rule(db, panel, frozen_clock):
    scheme = panel["scheme"]
    services.set_two_person(db.session, scheme=scheme, enabled=True, actor=panel["admin"])
    task = scheme.tasks[0]
    person = panel["people"][0]
    for r in (panel["r1"], panel["r2"]):
        assign(db, panel, task, r, person)
    mark(db, task, person, panel["r1"], {"1.1": 12, "1.2": 4, "1.3": 3})
    assert services.task_score(db.session, task, person) == D(0)  # typed in, not yet confirmed
    with pytest.raises(DomainError):
        services.confirm_marks(db.session, task=task, registration=person, user=panel["r1"], now=clock.now())
    assert services.confirm_marks(db.session, task=task, registration=person, user=panel["r2"], now=clock.now()) == 3
    assert services.task_score(db.session, task, person) == D("20.00")
    # Confirming wrote the marks (version 2): the referee's page reloaded after it carries that version.
    mark(db, task, person, panel["r1"], {"1.1": 10, "1.2": 4, "1.3": 3}, versions={"1.1": 2, "1.2": 2})
    assert services.task_score(db.session, task, person) == D("8.00")  # the changed mark needs confirming again
