"""Saves of one attempt arriving at the same moment (a retry overtaking a slow request, two tabs):
they take turns, the hash chain stays whole, a stale save never overwrites a newer one, and the
answered count matches the stored answers. Real concurrency: threads with their own connections,
on PostgreSQL or on a SQLite file."""

import threading

from sqlalchemy import func, select

from core import clock
from core.extensions import db as _db
from exam import services
from exam.models import Answer, AnswerEvent, Attempt
from tests.conftest import shared_app

TABS = 5  # the paper has four true/false items: two tabs share the first
SAVES = 20


_shared = shared_app


def test_concurrent_saves_of_one_attempt_take_turns(app, db, make_exam, create_user, tmp_path):
    user = create_user("candidate")
    exam = make_exam([user])
    attempt = services.start_attempt(db.session, exam=exam, user=user, now=clock.now(), access_code="",
                                     device_token="d")
    db.session.commit()
    items = [item.id for item in services.paper_items(db.session, attempt) if item.version.type.value == "true_false"]
    public_id = attempt.public_id
    shared = _shared(app, db, tmp_path)
    sent: list[tuple[int, int, int]] = []  # (item, seq sent, seq acknowledged)
    errors: list[BaseException] = []
    lock = threading.Lock()
    gate = threading.Barrier(TABS)

    def tab(n: int) -> None:
        # Tabs 0 and 1 fight over one item with interleaved sequence numbers (odd and even); the
        # others each answer an item of their own.
        item = items[0] if n < 2 else items[n - 1]
        try:
            gate.wait(timeout=60)
            for k in range(SAVES):
                seq = 2 * k + 1 + n if n < 2 else k + 1
                with shared.app_context():
                    row = _db.session.scalar(select(Attempt).filter_by(public_id=public_id))
                    result = services.save_answers(_db.session, attempt=row, device_token="d", now=clock.now(),
                                                   saves=[{"item": item, "response": k % 2 == 0, "seq": seq}])
                    _db.session.commit()
                with lock:
                    sent.extend((ack["item"], seq, ack["seq"]) for ack in result.acks)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=tab, args=(n,)) for n in range(TABS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(sent) == TABS * SAVES
    with shared.app_context():
        row = _db.session.scalar(select(Attempt).filter_by(public_id=public_id))
        assert services.verify_chain(_db.session, row), "the hash chain forked"
        stored = {a.item_id: a for a in _db.session.scalars(select(Answer).filter_by(attempt_id=row.id))}
        for item, _seq, acked in sent:
            assert stored[item].seq >= acked, "an acknowledged save was overwritten by an older one"
        assert stored[items[0]].seq == 2 * SAVES  # the newest of the two tabs' saves won
        assert row.answered_count == len(stored) == TABS - 1
        applied = sum(1 for _item, seq, acked in sent if seq == acked)
        events = _db.session.scalar(select(func.count()).select_from(AnswerEvent).filter_by(attempt_id=row.id))
        assert events == applied
        if shared is not app:
            _db.session.remove()
    if shared is not app:
        with shared.app_context():
            _db.engine.dispose()


def test_racing_submissions_close_the_attempt_once(app, db, make_exam, create_user, tmp_path):
    """A double click, the timer and the sweep at the same moment: one closes, one audit line,
    and the grading that follows gives one score."""
    from core.audit import AuditLog

    user = create_user("candidate")
    exam = make_exam([user])
    attempt = services.start_attempt(db.session, exam=exam, user=user, now=clock.now(), access_code="",
                                     device_token="d")
    db.session.commit()
    public_id = attempt.public_id
    shared = _shared(app, db, tmp_path)
    gate = threading.Barrier(4)
    errors: list[BaseException] = []

    def press(by: str) -> None:
        try:
            with shared.app_context():
                row = _db.session.scalar(select(Attempt).filter_by(public_id=public_id))
                gate.wait(timeout=60)
                services.submit(_db.session, attempt=row, now=clock.now(), by=by)
                _db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(by,)) for by in ("candidate", "candidate", "timer", "scheduler")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with shared.app_context():
        closes = _db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "exam.submit"))
        assert closes == 1
        assert services.grade_pending(_db.session) == 1
        _db.session.commit()
        assert services.grade_pending(_db.session) == 0
        _db.session.remove()
        if shared is not app:
            _db.engine.dispose()
