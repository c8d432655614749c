"""The shared rate limit (core/throttle.py): its arithmetic, and that concurrent requests cannot
overrun it, with real threads on a SQLite file and on PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

from werkzeug.security import generate_password_hash

from accounts import services
from core import addresses, throttle
from core.errors import Throttled
from core.extensions import db as _db
from core.throttle import Policy, State, after_hit, wait_for
from tests.conftest import shared_app

NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
BACKOFF = Policy(free=3, window=900, backoff=30, backoff_max=120)
FIXED = Policy(free=3, window=600)


def _hits(policy, times):
    state = State()
    for t in times:
        assert wait_for(state, policy, t) == 0
        state = after_hit(state, policy, t)
    return state


def test_free_hits_then_doubling_waits_up_to_the_cap():
    state = _hits(BACKOFF, [NOW] * 3)
    assert wait_for(state, BACKOFF, NOW) == 30
    state = _hits(BACKOFF, [NOW] * 3 + [NOW + timedelta(seconds=30)])
    assert wait_for(state, BACKOFF, NOW + timedelta(seconds=30)) == 60
    times = [NOW] * 3 + [NOW + timedelta(seconds=s) for s in (30, 90, 210, 330)]
    state = _hits(BACKOFF, times)
    assert wait_for(state, BACKOFF, times[-1]) == 120  # capped


def test_a_quiet_window_starts_afresh():
    state = _hits(BACKOFF, [NOW] * 3)
    assert wait_for(state, BACKOFF, NOW + timedelta(seconds=900)) == 0
    assert after_hit(state, BACKOFF, NOW + timedelta(seconds=900)).count == 1


def test_a_fixed_window_counts_from_its_first_hit():
    state = _hits(FIXED, [NOW, NOW + timedelta(seconds=100), NOW + timedelta(seconds=200)])
    assert wait_for(state, FIXED, NOW + timedelta(seconds=300)) == 300
    assert wait_for(state, FIXED, NOW + timedelta(seconds=600)) == 0


def test_client_key_groups_ipv6_by_64():
    key = addresses.client_key
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert addresses.client_key("2001:db8:1:3::1") != addresses.client_key("2001:db8:1:2::1")
    assert addresses.client_key("::ffff:192.0.2.7") == "192.0.2.7" == addresses.client_key("192.0.2.7")
    assert addresses.in_networks("10.1.2.3", ["10.0.0.0/8", "not a network"])
    assert not addresses.in_networks("11.1.2.3", ["10.0.0.0/8"]) and not addresses.in_networks("junk", ["10.0.0.0/8"])


def test_hits_and_clear_in_the_database(app, db):
    for _ in range(3):
        assert throttle.hit(db.session, "k", BACKOFF, now=NOW) == 0
    assert throttle.hit(db.session, "k", BACKOFF, now=NOW) == 30
    assert throttle.check(db.session, "k", BACKOFF, now=NOW) == 30
    assert throttle.clear(db.session, "k") == 1
    assert throttle.check(db.session, "k", BACKOFF, now=NOW) == 0


def _race(shared, n, work):
    gate = threading.Barrier(n)
    results, errors = [], []
    lock = threading.Lock()

    def run(i):
        try:
            with shared.app_context():
                gate.wait(timeout=60)
                outcome = work(i)
            with lock:
                results.append(outcome)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_concurrent_hits_never_overrun_the_limit(app, db, tmp_path):
    shared = shared_app(app, db, tmp_path)
    policy = Policy(free=5, window=900, backoff=60)

    def work(_i):
        wait = throttle.hit(_db.session, "race", policy, now=NOW)
        _db.session.commit()
        return wait

    results = _race(shared, 20, work)
    assert results.count(0) == 5
    if shared is not app:
        with shared.app_context():
            _db.engine.dispose()


def test_concurrent_wrong_passwords_get_no_more_checks_than_are_left(app, db, create_user, tmp_path):
    """Issue 12 M6: 30 guesses at once, 3 failures left: exactly 3 are told "wrong password", the
    rest are throttled (it was 7-16 when count, check and insert were separate steps)."""
    user = create_user("candidate")
    user.password_hash = generate_password_hash("the-right-one-9", method="pbkdf2:sha256:20000")  # a real pause
    db.session.commit()
    app.config["LOGIN_THROTTLE_PER_PAIR"] = 3
    shared = shared_app(app, db, tmp_path)
    shared.config["LOGIN_THROTTLE_PER_PAIR"] = 3
    username = user.username

    def work(i):
        try:
            result = services.authenticate(_db.session, username=username, password=f"guess-{i}",
                                           address="192.0.2.50", now=NOW)
            _db.session.commit()
            return "wrong" if result.user is None else "in"
        except Throttled:
            _db.session.rollback()
            return "throttled"

    results = _race(shared, 30, work)
    assert results.count("wrong") == 3 and results.count("throttled") == 27
    if shared is not app:
        with shared.app_context():
            _db.engine.dispose()
