from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from certificates import results
from certificates.models import ResultStatus
from core import clock
from core.errors import DomainError
from exam import services as exam_services
from scoring import services as scoring
from tests.scoring.conftest import station


def test_compute_combines_the_exam_and_the_practical(db, panel, make_exam, frozen_clock):
    event = panel["scheme"].event
    people = panel["people"]
    # Theory: an exam linked to the event; the first candidate answers the true/false items right.
    exam = make_exam([p.user for p in people], level="intermediate")
    exam.event_id = event.id
    attempt = exam_services.start_attempt(db.session, exam=exam, user=people[0].user, now=clock.now(),
                                          access_code="", device_token="d")
    saves = [{"item": i.id, "response": i.version.answer, "seq": 1} for i in attempt.paper.items
             if i.version.type.value == "true_false"]
    exam_services.save_answers(db.session, attempt=attempt, device_token="d", saves=saves, now=clock.now())
    exam_services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    # Practical: task 1 marked for the first candidate.
    task = panel["scheme"].tasks[0]
    scoring.assign(db.session, task=task, referee=panel["r1"], stations=[station(db, task, people[0])],
                   actor=panel["admin"])
    ids = {a.code: a.id for a in task.aspects}
    scoring.save_marks(db.session, task=task, registration=people[0], referee=panel["r1"], now=clock.now(),
                       entries={ids["1.1"]: ("12", None), ids["1.2"]: ("4", None), ids["1.3"]: ("3", None)},
                       submit=True)
    results.compute(db.session, event=event, actor=panel["admin"], now=clock.now())
    rows = {r.registration_id: r for r in db.session.scalars(select(results.Result))}
    first = rows[people[0].id]
    # Theory: 4 true/false × 2 points = 8 of 50 (8×2 + 4×4 + 4×2 + 2×5) → 16.00; practical: task 1 in full
    # (20) + task 6's deduction aspect with no violation (5) = 25 of 100; certification total: the mean.
    assert first.theory == D("16.00") and first.practical == D("25.00")
    assert first.total == D("20.50") and not first.passed
    assert rows[people[1].id].total is None  # nothing sat yet
    # Issue 15: a certification is passed or not, never ranked; a candidate who sat nothing is
    # absent (缺考), not "not passed"; one part missing says which.
    assert all(r.rank is None for r in rows.values())
    assert results.outcome(first, event) == "不合格"
    assert results.outcome(rows[people[1].id], event) == "缺考"
    first.practical, first.total = None, None
    assert results.outcome(first, event) == "缺实操成绩"


def test_publicity_objection_and_finality(app, db, panel, frozen_clock):
    from certificates import objections
    from certificates.models import ObjectionKind, Result

    event = panel["scheme"].event
    results.compute(db.session, event=event, actor=panel["admin"], now=clock.now())
    for row in db.session.scalars(select(Result)):
        row.total, row.theory, row.practical, row.passed = D(75), D(70), D(80), True
    publication = results.publish(db.session, event=event, actor=panel["admin"], now=clock.now())
    assert publication.ends_at == datetime(2026, 6, 8, 2, tzinfo=UTC)  # 1 June 2026 is a Monday: Monday → Monday
    assert (publication.ends_at - clock.now()).days == 7
    rows = db.session.scalars(select(Result).order_by(Result.id)).all()
    objection = objections.file(db.session, result=rows[0], kind=ObjectionKind.OBJECTION, part="",
                                reason="实操任务 3 计分有误", filer=panel["admin"], now=clock.now())
    with pytest.raises(DomainError):
        results.compute(db.session, event=event, actor=panel["admin"], now=clock.now())
    db.session.commit()
    from core.extensions import scheduler

    frozen_clock.advance(days=6)
    assert scheduler.run_job(app, "certificates.finalise_results") == 0  # still within the period
    frozen_clock.advance(days=1, minutes=1)
    assert scheduler.run_job(app, "certificates.finalise_results") == 2  # the objection blocks one
    db.session.expire_all()
    assert rows[0].status is ResultStatus.PUBLISHED
    objections.answer(db.session, objection=objection, text="复核无误", actor=panel["admin"], now=clock.now())
    db.session.commit()  # the last answer after the publicity makes the result final at once
    db.session.expire_all()
    assert rows[0].status is ResultStatus.FINAL and rows[0].registration.theory_score == D(70)
    assert clock.now() - timedelta(days=7) > publication.published_at


def test_the_rules_form_keeps_what_was_typed_and_says_what_is_wrong(app, client, db, panel, frozen_clock):
    """Issue 15: publicity of 1 working day used to revert silently to 5. Now the page comes back
    with the error and the values typed, and nothing is saved; the tie-break is an ordered choice."""
    from tests.conftest import PASSWORD

    event = panel["scheme"].event
    rule = results.rule_of(db.session, event)
    db.session.commit()
    client.submit("/login", {"username": panel["admin"].username, "password": PASSWORD})
    fields = {"action": "rules", "theory_weight": "0.3", "practical_weight": "0.7", "theory_pass": "60",
              "practical_pass": "60", "tie_break": "theory,practical,number", "first_ratio": "0.1",
              "second_ratio": "0.2", "third_ratio": "0.3", "publicity_days": "1", "expiry_years": "",
              "issuer": "项目中心"}
    refused = client.submit(f"/certificates/admin/{event.public_id}", fields)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and '<details class="mb-3" open data-testid="result-rules">' in page
    assert 'value="1"' in page and "invalid-feedback" in page
    db.session.expire_all()
    assert results.rule_of(db.session, event).publicity_days == rule.publicity_days == 5
    assert '<option selected value="theory,practical,number">' in page
    saved = client.submit(f"/certificates/admin/{event.public_id}", {**fields, "publicity_days": "7"})
    assert saved.status_code == 302
    db.session.expire_all()
    stored = results.rule_of(db.session, event)
    assert stored.publicity_days == 7 and stored.tie_break == "theory,practical,number"
    forged = client.submit(f"/certificates/admin/{event.public_id}", {**fields, "tie_break": "drop table"})
    assert forged.status_code == 400


def test_compute_and_publish_say_who_lacks_a_part(app, client, db, panel, frozen_clock):
    """Issue 15: computing and publishing went through with missing scores and no word. Now the
    publish button's confirmation counts who lacks a part, and after computing the page names them."""
    from tests.conftest import PASSWORD

    event = panel["scheme"].event
    client.submit("/login", {"username": panel["admin"].username, "password": PASSWORD})
    done = client.submit(f"/certificates/admin/{event.public_id}", {"action": "compute"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    people = panel["people"]
    assert f"{len(people)} 名考生缺少部分成绩" in page  # nobody has sat anything in this panel
    assert all(p.candidate_number in page for p in people[:3]) and "缺考" in page
    assert f"发布 {len(people)} 名考生的成绩公示吗" in page and f"其中 {len(people)} 人缺少部分成绩" in page
